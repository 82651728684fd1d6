"""EQ-5D scoring: 5L index (48 value sets), 3L TTO index (33), 5L->3L crosswalk and DSU mapping.

All coefficients and tables are vendored from fragla/eq5d (MIT); see
fusiontrack/core/data/eq5d/PROVENANCE.md. Every function returns unrounded float64 and raises
`fusiontrack.core.errors.ScoringError` naming the item (eq5d_mo … eq5d_ad, age, sex, value_set),
the value and the allowed range.
"""

from __future__ import annotations

from fusiontrack.core.eq5d.five_level import (
    DEFAULT_VALUE_SET_5L,
    NAMED_5L,
    VALUE_SETS_5L,
    index_5l,
    index_5l_one,
    table_5l,
)
from fusiontrack.core.eq5d.mapping import (
    CROSSWALK_COUNTRIES,
    DSU_COUNTRIES,
    crosswalk_5l_to_3l,
    dsu_map_5l_to_3l,
)
from fusiontrack.core.eq5d.three_level import (
    DEFAULT_VALUE_SET_3L,
    NAMED_3L,
    VALUE_SETS_3L,
    index_3l,
    index_3l_one,
    table_3l,
)
from fusiontrack.core.eq5d.value_sets import ValueSetInfo, value_set_info

__all__ = [
    "CROSSWALK_COUNTRIES",
    "DEFAULT_VALUE_SET_3L",
    "DEFAULT_VALUE_SET_5L",
    "DSU_COUNTRIES",
    "NAMED_3L",
    "NAMED_5L",
    "VALUE_SETS_3L",
    "VALUE_SETS_5L",
    "ValueSetInfo",
    "crosswalk_5l_to_3l",
    "dsu_map_5l_to_3l",
    "index_3l",
    "index_3l_one",
    "index_5l",
    "index_5l_one",
    "table_3l",
    "table_5l",
    "value_set_info",
]
