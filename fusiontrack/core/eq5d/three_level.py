"""EQ-5D-3L index values for the 33 time trade-off value sets of fragla/eq5d `TTO.csv`.

Additive model with the terms fragla/eq5d (`R/eq5d3l.R`) defines [SRC], added in this order:

    FullHealth                                   (1, or 0.9694 for Sweden)
    + AtLeastOne2Or3      if any level > 1       (the constant)
    + AtLeastOne3         if any level = 3       ("N3")
    + Σ_d coef[d, level_d]                       (level 1 = 0)
    + D1 × max(#levels>1 − 1, 0)                 (Shaw 2005 US and others)
    + I2 × max(#2 − 1, 0) + I2square × I2²  + I3 × max(#3 − 1, 0) + I3square × I3²
    + O2 [all levels in {1,2}, some 2] + O3 [all in {1,3}, some 3]
    + C2square × (#2)² + C3square × (#3)² + X5 [all levels in {2,3}]
    + Z2 [some 2 and some 3] + Z3 × (#2 if some 3 else 0)
    + Σ pairwise interactions "MO2SC3" … present in the state

Then the states listed in TTO_overrides.csv take their fixed value (Australia: 22 logically
inconsistent states, as fragla lists them). Unrounded float64, same table approach and the same
single == batch guarantee as the 5L module.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from fusiontrack.core.eq5d import _data
from fusiontrack.core.eq5d._levels import N_STATES_3L, all_states, state_code_one, state_codes
from fusiontrack.core.eq5d.value_sets import Catalogue

_DIMS = ("MO", "SC", "UA", "PD", "AD")
_INTERACTION = re.compile(r"^(MO|SC|UA|PD|AD)([23])(MO|SC|UA|PD|AD)([23])$")
_KNOWN_ROWS = frozenset(
    ["FullHealth", "AtLeastOne2Or3", "AtLeastOne3", "D1", "I2", "I2square", "I3", "I3square"]
    + ["O2", "O3", "Z2", "Z3", "C2square", "C3square", "X5"]
    + [f"{d}{lvl}" for d in _DIMS for lvl in (2, 3)]
)

_COLUMNS: dict[str, str] = {c.lower(): c for c in _data.tto_table()[0]}

#: Ids of all EQ-5D-3L TTO value sets (the columns of TTO.csv, lower case).
VALUE_SETS_3L: tuple[str, ...] = tuple(_COLUMNS)
NAMED_3L: dict[str, str] = {"us": "usa", "united_states": "usa"}
#: Dolan 1997 (UK), the 3L set NICE's reference case uses [UNVERIFIED: NICE manual not retrieved].
DEFAULT_VALUE_SET_3L = "uk"

CATALOGUE_3L = Catalogue("EQ-5D-3L value set", VALUE_SETS_3L, NAMED_3L)


def _overrides(column: str) -> dict[str, float]:
    import csv
    import io

    text = _data._DATA.joinpath("TTO_overrides.csv").read_text(encoding="utf-8")
    return {
        row["state"]: float(row["index"])
        for row in csv.DictReader(io.StringIO(text))
        if row["value_set"] == column
    }


def _build_table(column: str) -> npt.NDArray[np.float64]:
    """Index of all 243 states (state-code order) for one TTO.csv column."""
    rows = _data.tto_table()[1]
    present = {name: cells[column] for name, cells in rows.items() if cells[column] is not None}
    unknown = {n for n in present if n not in _KNOWN_ROWS and not _INTERACTION.match(n)}
    if unknown:  # a newer TTO.csv with a term we do not implement must not be scored silently
        raise RuntimeError(f"TTO.csv {column}: unsupported terms {sorted(unknown)}")

    def coef(row: str) -> float:
        value = present.get(row)
        return 0.0 if value is None else value

    states = all_states(3)
    n2 = (states == 2).sum(axis=1)
    n3 = (states == 3).sum(axis=1)
    n_gt1 = n2 + n3
    some2, some3 = n2 > 0, n3 > 0
    i2 = np.maximum(n2 - 1, 0)
    i3 = np.maximum(n3 - 1, 0)

    index: npt.NDArray[np.float64] = np.full(N_STATES_3L, coef("FullHealth"))
    index = index + np.where(n_gt1 > 0, coef("AtLeastOne2Or3"), 0.0)
    index = index + np.where(some3, coef("AtLeastOne3"), 0.0)
    for d, dim in enumerate(_DIMS):
        by_level = np.array([0.0, coef(f"{dim}2"), coef(f"{dim}3")])
        index = index + by_level[states[:, d] - 1]
    index = index + np.maximum(n_gt1 - 1, 0) * coef("D1")
    index = index + i2 * coef("I2")
    index = index + i2**2 * coef("I2square")
    index = index + i3 * coef("I3")
    index = index + i3**2 * coef("I3square")
    index = index + np.where(some2 & ~some3, coef("O2"), 0.0)
    index = index + np.where(some3 & ~some2, coef("O3"), 0.0)
    index = index + n2**2 * coef("C2square")
    index = index + n3**2 * coef("C3square")
    index = index + np.where(n_gt1 == 5, coef("X5"), 0.0)
    index = index + np.where(some2 & some3, coef("Z2"), 0.0)
    index = index + np.where(some3, n2, 0) * coef("Z3")
    for name in sorted(n for n in present if _INTERACTION.match(n)):
        match = _INTERACTION.match(name)
        assert match is not None
        d1, l1, d2, l2 = match.groups()
        both = (states[:, _DIMS.index(d1)] == int(l1)) & (states[:, _DIMS.index(d2)] == int(l2))
        index = index + np.where(both, coef(name), 0.0)
    for state, value in _overrides(column).items():
        index[state_code_one([int(c) for c in state], 3)] = value
    index.setflags(write=False)
    return index


_TABLES: dict[str, npt.NDArray[np.float64]] = {}
_SCALAR_TABLES: dict[str, list[float]] = {}


def table_3l(value_set: str = DEFAULT_VALUE_SET_3L) -> npt.NDArray[np.float64]:
    """Read-only index of all 243 states, in state-code order (11111, 11112, ..., 33333)."""
    vs_id = CATALOGUE_3L.resolve(value_set)
    table = _TABLES.get(vs_id)
    if table is None:
        table = _TABLES[vs_id] = _build_table(_COLUMNS[vs_id])
    return table


def index_3l(
    mo: object,
    sc: object,
    ua: object,
    pd: object,
    ad: object,
    value_set: str = DEFAULT_VALUE_SET_3L,
) -> npt.NDArray[np.float64]:
    """EQ-5D-3L TTO index of many responses (levels 1–3), unrounded float64."""
    table = table_3l(value_set)
    return np.asarray(table[state_codes((mo, sc, ua, pd, ad), 3)], dtype=np.float64)


def index_3l_one(
    mo: int, sc: int, ua: int, pd: int, ad: int, value_set: str = DEFAULT_VALUE_SET_3L
) -> float:
    """EQ-5D-3L TTO index of one response; bit-identical to `index_3l`."""
    table = _SCALAR_TABLES.get(value_set) if isinstance(value_set, str) else None
    if table is None:
        table = [float(v) for v in table_3l(value_set)]
        if isinstance(value_set, str) and len(_SCALAR_TABLES) < 1000:
            _SCALAR_TABLES[value_set] = table
    return table[state_code_one((mo, sc, ua, pd, ad), 3)]
