"""Read instrument definition files and bind each to its scoring rule.

Called once at import of `fusiontrack.core.instruments`; any malformed file stops start-up with a
DefinitionError naming the file and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from fusiontrack.core.errors import DefinitionError
from fusiontrack.core.instruments.rules import RULES, RuleContext
from fusiontrack.core.instruments.schema import (
    AnswerOption,
    Citation,
    Fields,
    Instrument,
    Item,
    Licence,
    OptionDef,
    ScoreDef,
    field_path,
    parse_codes,
    parse_item,
    parse_option_def,
    parse_options,
    parse_score,
)

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for identifier in ids:
        if identifier in seen:
            raise DefinitionError(f"{where}: duplicate id {identifier!r}")
        seen.add(identifier)


def parse_instrument(data: object, source: str) -> Instrument:
    """Validate one definition (already decoded JSON); `source` names it in error messages."""
    root = f"{source}: "
    f = Fields(data, root)
    instrument_id = f.text("id")
    licence_fields = f.child("licence")
    licence = Licence(licence_fields.text("notice"), licence_fields.text("holder"))
    licence_fields.done()

    citations = []
    for i, raw in enumerate(f.array("citations")):
        c = Fields(raw, f"{root}citations[{i}]")
        citations.append(Citation(c.text("text"), c.text("evidence")))
        c.done()
    if not citations:
        raise f.fail("citations", "needs at least one citation")

    option_sets: dict[str, tuple[AnswerOption, ...]] = {}
    for name, raw in f.mapping("option_sets", {}).items():
        if not isinstance(raw, list):
            raise f.fail(f"option_sets.{name}", "must be a list of options")
        option_sets[name] = parse_options(raw, f"{root}option_sets.{name}")

    items: list[Item] = [
        parse_item(raw, f"{root}items[{i}]", option_sets) for i, raw in enumerate(f.array("items"))
    ]
    if not items:
        raise f.fail("items", "needs at least one item")
    _unique([item.id for item in items], field_path(root, "items"))

    scores: list[ScoreDef] = [
        parse_score(raw, f"{root}scores[{i}]") for i, raw in enumerate(f.array("scores"))
    ]
    _unique([score.id for score in scores], field_path(root, "scores"))

    options: dict[str, OptionDef] = {
        name: parse_option_def(name, raw, f"{root}options.{name}")
        for name, raw in f.mapping("options", {}).items()
    }

    scoring = f.child("scoring")
    rule_name = scoring.text("rule")
    params = scoring.mapping("params")
    scoring.done()
    if rule_name not in RULES:
        raise f.fail("scoring.rule", f"unknown rule {rule_name!r}; known: {', '.join(RULES)}")

    evidence = f.array("evidence", [])
    if not all(isinstance(line, str) for line in evidence):
        raise f.fail("evidence", "must be a list of strings")

    context = RuleContext(
        instrument_id=instrument_id,
        where=f"{root}scoring.params",
        items=tuple(items),
        scores=MappingProxyType({score.id: score for score in scores}),
        params=MappingProxyType(params),
    )
    rule = RULES[rule_name](context)
    instrument = Instrument(
        id=instrument_id,
        version=f.text("version"),
        title=f.text("title"),
        short_title=f.text("short_title"),
        description=f.text("description"),
        order=f.integer("order"),
        licence=licence,
        citations=tuple(citations),
        codes=parse_codes(f.array("codes", []), field_path(root, "codes")),
        items=tuple(items),
        scores=tuple(scores),
        options=MappingProxyType(options),
        rule_name=rule_name,
        rule_params=MappingProxyType(params),
        evidence=tuple(str(line) for line in evidence),
        source_file=source,
        rule=rule,
    )
    f.done()
    return instrument


def load_definition(path: Path) -> Instrument:
    """Load and validate one definition file; its name must be `<id>.json`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DefinitionError(f"{path.name}: cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    instrument = parse_instrument(data, path.name)
    if instrument.id != path.stem:
        raise DefinitionError(f"{path.name}: id {instrument.id!r} must match the file name")
    return instrument


def load_definitions(directory: Path = DEFINITIONS_DIR) -> Mapping[str, Instrument]:
    """Every `*.json` in `directory`, ordered by their `order` field, as a read-only mapping."""
    instruments = [load_definition(path) for path in sorted(directory.glob("*.json"))]
    if not instruments:
        raise DefinitionError(f"{directory}: no instrument definitions found")
    instruments.sort(key=lambda instrument: (instrument.order, instrument.id))
    return MappingProxyType({instrument.id: instrument for instrument in instruments})
