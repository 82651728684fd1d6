"""Scoring rules, by the name a definition file uses in `scoring.rule`.

A rule is code (how to combine answers); everything clinical it needs — items, bands, which
answers raise a flag — comes from the definition's `scoring.params`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from fusiontrack.core.instruments.rules.base import RuleContext, ScoringRule
from fusiontrack.core.instruments.rules.choice import ChoiceRule
from fusiontrack.core.instruments.rules.comi import ComiRule
from fusiontrack.core.instruments.rules.eq5d5l import Eq5d5lRule
from fusiontrack.core.instruments.rules.odi import OdiRule
from fusiontrack.core.instruments.rules.promis29 import Promis29Rule
from fusiontrack.core.instruments.rules.single_items import SingleItemsRule

RULES: Mapping[str, Callable[[RuleContext], ScoringRule]] = MappingProxyType(
    {
        "odi": OdiRule,
        "single_items": SingleItemsRule,
        "comi_back": ComiRule,
        "eq5d5l": Eq5d5lRule,
        "promis29": Promis29Rule,
        "choice": ChoiceRule,
    }
)

__all__ = ["RULES", "RuleContext", "ScoringRule"]
