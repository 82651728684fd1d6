"""The shape of an instrument definition, and its validation when a definition file is loaded.

Every questionnaire is a JSON file under `definitions/`. Parsing is strict (unknown fields are
errors) so a typo fails at start-up with the file and the field, not later as a wrong score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, cast

from fusiontrack.core import vocab
from fusiontrack.core.errors import DefinitionError
from fusiontrack.core.instruments.answers import AnswerCheck

if TYPE_CHECKING:
    from fusiontrack.core.instruments.rules.base import ScoringRule

ScoreType = Literal["number", "integer", "flag", "category"]
Direction = Literal["lower_is_better", "higher_is_better"]
ScoreValue = float | int | str

CODE_SYSTEMS = {"LOINC": "http://loinc.org", "SNOMED CT": "http://snomed.info/sct"}


@dataclass(frozen=True)
class Code:
    """A terminology code with the evidence that it is the right one."""

    system: str  # FHIR system URI
    code: str
    display: str
    evidence: str


@dataclass(frozen=True)
class Citation:
    text: str
    evidence: str


class Licence(str):
    """The licence notice — a str, so callers can print it as is — plus who holds the rights."""

    holder: str

    def __new__(cls, notice: str, holder: str) -> Licence:
        licence = super().__new__(cls, notice)
        licence.holder = holder
        return licence

    @property
    def notice(self) -> str:
        return str(self)


@dataclass(frozen=True)
class AnswerOption:
    value: float | str
    label: str


@dataclass(frozen=True)
class Item:
    """One question: its allowed answers (options or a numeric range) and how to quote it."""

    id: str
    label: str
    text: str
    options: tuple[AnswerOption, ...]
    minimum: float | None
    maximum: float | None
    step: float | None
    anchors: Mapping[str, str]
    codes: tuple[Code, ...]
    note: str
    check: AnswerCheck = field(repr=False, compare=False)

    @property
    def is_coded(self) -> bool:
        """Answers are text codes (stored as the option's index while scoring)."""
        return self.check.codes is not None

    def coerce(self, raw: object) -> float | None:
        return self.check.coerce(raw)


@dataclass(frozen=True)
class ScoreDef:
    """One output of an instrument: what it means, its range and which direction is better."""

    id: str
    label: str
    type: ScoreType
    minimum: float | None
    maximum: float | None
    direction: Direction | None
    unit: str
    decimals: int | None
    categories: tuple[AnswerOption, ...]
    codes: tuple[Code, ...]
    note: str

    def convert(self, value: float) -> ScoreValue:
        """A rule's float result as the value a caller sees (int, str code or float)."""
        if self.type == "number":
            return value
        if self.type == "category":
            return str(self.categories[int(value)].value)
        return int(value)


@dataclass(frozen=True)
class OptionDef:
    """A scoring option (e.g. ODI max_missing), its default and the site setting that sets it."""

    name: str
    type: Literal["integer", "string"]
    default: int | str | None
    minimum: int | None
    maximum: int | None
    setting: str
    description: str


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: str
    short_title: str
    description: str
    order: int
    licence: Licence
    citations: tuple[Citation, ...]
    codes: tuple[Code, ...]
    items: tuple[Item, ...]
    scores: tuple[ScoreDef, ...]
    options: Mapping[str, OptionDef]
    rule_name: str
    rule_params: Mapping[str, object]
    evidence: tuple[str, ...]
    source_file: str
    rule: ScoringRule = field(repr=False, compare=False)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    @property
    def score_ids(self) -> tuple[str, ...]:
        return tuple(score.id for score in self.scores)

    def score_def(self, score_id: str) -> ScoreDef:
        for score in self.scores:
            if score.id == score_id:
                return score
        raise KeyError(score_id)


# -- parsing ------------------------------------------------------------------------------------


def field_path(where: str, key: str) -> str:
    """'odi.json: ' + 'items' -> 'odi.json: items'; 'odi.json: items[0]' + 'id' -> '...[0].id'."""
    return f"{where}{key}" if where.endswith(": ") else f"{where}.{key}"


class Fields:
    """Typed, strict access to one JSON object; every error names the file and the field."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise DefinitionError(f"{where}: expected an object, got {type(data).__name__}")
        self.data: dict[str, object] = data
        self.where = where
        self._seen: set[str] = set()

    def fail(self, key: str, problem: str) -> DefinitionError:
        return DefinitionError(f"{field_path(self.where, key)}: {problem}")

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: object = ...) -> object:
        self._seen.add(key)
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "is required")
            return default
        return self.data[key]

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw(key, ... if default is None else default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(key, "must be a non-empty string")
        return value

    def number(self, key: str, default: float | None = None) -> float:
        value = self.raw(key, ... if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"must be a number, got {value!r}")
        return float(value)

    def optional_number(self, key: str) -> float | None:
        value = self.raw(key, None)
        return None if value is None else self.number(key)

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.raw(key, ... if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, got {value!r}")
        return value

    def array(self, key: str, default: list[object] | None = None) -> list[object]:
        value = self.raw(key, ... if default is None else default)
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        return value

    def mapping(self, key: str, default: dict[str, object] | None = None) -> dict[str, object]:
        value = self.raw(key, ... if default is None else default)
        if not isinstance(value, dict):
            raise self.fail(key, "must be an object")
        return value

    def child(self, key: str) -> Fields:
        return Fields(self.raw(key), field_path(self.where, key))

    def done(self) -> None:
        unknown = sorted(set(self.data) - self._seen)
        if unknown:
            raise DefinitionError(f"{self.where}: unknown field(s) {', '.join(unknown)}")


def parse_codes(values: list[object], where: str) -> tuple[Code, ...]:
    codes = []
    for i, raw in enumerate(values):
        f = Fields(raw, f"{where}[{i}]")
        system = f.text("system")
        if system not in CODE_SYSTEMS:
            raise f.fail("system", f"must be one of {', '.join(CODE_SYSTEMS)}")
        codes.append(
            Code(CODE_SYSTEMS[system], f.text("code"), f.text("display"), f.text("evidence"))
        )
        f.done()
    return tuple(codes)


def _vocab_options(name: str, f: Fields, key: str) -> tuple[AnswerOption, ...]:
    choices = getattr(vocab, name, None)
    if not isinstance(choices, tuple) or not choices:
        raise f.fail(key, f"fusiontrack.core.vocab has no vocabulary {name!r}")
    return tuple(AnswerOption(str(code), str(label)) for code, label in choices)


def parse_options(
    values: list[object], where: str, *, numeric: bool | None = None
) -> tuple[AnswerOption, ...]:
    options = []
    for i, raw in enumerate(values):
        f = Fields(raw, f"{where}[{i}]")
        value = f.raw("value")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise f.fail("value", "must be a number or a text code")
        options.append(
            AnswerOption(value if isinstance(value, str) else float(value), f.text("label"))
        )
        f.done()
    if not options:
        raise DefinitionError(f"{where}: needs at least one option")
    kinds = {isinstance(o.value, str) for o in options}
    if len(kinds) > 1 or (numeric is not None and kinds != {not numeric}):
        raise DefinitionError(f"{where}: option values must be all numbers or all text codes")
    if len({o.value for o in options}) != len(options):
        raise DefinitionError(f"{where}: option values must be unique")
    return tuple(options)


def parse_item(
    raw: object, where: str, option_sets: Mapping[str, tuple[AnswerOption, ...]]
) -> Item:
    f = Fields(raw, where)
    item_id, label = f.text("id"), f.text("label")
    options: tuple[AnswerOption, ...] = ()
    minimum = maximum = step = None
    sources = [k for k in ("options", "options_vocab", "range") if f.has(k)]
    if len(sources) != 1:
        raise DefinitionError(f"{where}: give exactly one of options, options_vocab or range")
    if f.has("options"):
        spec = f.raw("options")
        if isinstance(spec, str):
            if spec not in option_sets:
                raise f.fail("options", f"unknown option set {spec!r}")
            options = option_sets[spec]
        else:
            options = parse_options(f.array("options"), f"{where}.options")
    elif f.has("options_vocab"):
        options = _vocab_options(f.text("options_vocab"), f, "options_vocab")
    else:
        r = f.child("range")
        minimum, maximum = r.number("min"), r.number("max")
        step = r.optional_number("step")
        r.done()
        if not minimum < maximum or (step is not None and step <= 0):
            raise f.fail("range", "needs min < max and a positive step")
    if options and isinstance(options[0].value, str):
        check = AnswerCheck.for_codes(item_id, label, [str(o.value) for o in options])
    elif options:
        check = AnswerCheck.for_numbers(item_id, label, [float(o.value) for o in options])
    else:
        assert minimum is not None and maximum is not None
        check = AnswerCheck.for_range(item_id, label, minimum, maximum, step)
    anchors = f.mapping("anchors", {})
    if not all(isinstance(v, str) for v in anchors.values()):
        raise f.fail("anchors", "must map values to text")
    item = Item(
        id=item_id,
        label=label,
        text=f.text("text"),
        options=options,
        minimum=minimum,
        maximum=maximum,
        step=step,
        anchors=MappingProxyType(cast(dict[str, str], anchors)),
        codes=parse_codes(f.array("codes", []), f"{where}.codes"),
        note=f.text("note", ""),
        check=check,
    )
    f.done()
    return item


_SCORE_TYPES = ("number", "integer", "flag", "category")
_DIRECTIONS = ("lower_is_better", "higher_is_better")


def parse_score(raw: object, where: str) -> ScoreDef:
    f = Fields(raw, where)
    score_type = f.text("type")
    if score_type not in _SCORE_TYPES:
        raise f.fail("type", f"must be one of {', '.join(_SCORE_TYPES)}")
    direction = f.raw("direction", None)
    if direction is not None and direction not in _DIRECTIONS:
        raise f.fail("direction", f"must be one of {', '.join(_DIRECTIONS)} or null")
    if score_type in ("number", "integer") and direction is None and not f.has("direction_note"):
        raise f.fail("direction", "is required for numeric scores (or explain in direction_note)")
    categories: tuple[AnswerOption, ...] = ()
    if score_type == "category":
        if f.has("categories_vocab"):
            categories = _vocab_options(f.text("categories_vocab"), f, "categories_vocab")
        else:
            categories = parse_options(f.array("categories"), f"{where}.categories", numeric=False)
    minimum = f.optional_number("min")
    maximum = f.optional_number("max")
    if score_type == "flag":
        minimum, maximum = 0.0, 1.0
    decimals = f.raw("decimals", None)
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int)):
        raise f.fail("decimals", "must be a whole number or null")
    score = ScoreDef(
        id=f.text("id"),
        label=f.text("label"),
        type=cast(ScoreType, score_type),
        minimum=minimum,
        maximum=maximum,
        direction=cast(Direction | None, direction),
        unit=f.text("unit", ""),
        decimals=decimals,
        categories=categories,
        codes=parse_codes(f.array("codes", []), f"{where}.codes"),
        note=f.text("note", "") + f.text("direction_note", ""),
    )
    f.done()
    return score


def parse_option_def(name: str, raw: object, where: str) -> OptionDef:
    f = Fields(raw, where)
    option_type = f.text("type")
    if option_type not in ("integer", "string"):
        raise f.fail("type", "must be integer or string")
    default = f.raw("default")
    expected = int if option_type == "integer" else str
    if default is not None and (isinstance(default, bool) or not isinstance(default, expected)):
        raise f.fail("default", f"must be {option_type} or null")
    minimum = f.raw("min", None)
    maximum = f.raw("max", None)
    for key, bound in (("min", minimum), ("max", maximum)):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
            raise f.fail(key, "must be a whole number")
    option = OptionDef(
        name=name,
        type=cast(Literal["integer", "string"], option_type),
        default=default,
        minimum=cast(int | None, minimum),
        maximum=cast(int | None, maximum),
        setting=f.text("setting"),
        description=f.text("description"),
    )
    f.done()
    return option
