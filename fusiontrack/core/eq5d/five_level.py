"""EQ-5D-5L index values for the 48 value sets of fragla/eq5d `VT.csv`.

Formula (fragla/eq5d `R/eq5d5l.R`; shared/notes/instruments.md §3.2 [SRC]), coefficients stored
as signed decrements:

    index = StartValue
          + Σ_d coef[d, level_d]                     (level-1 cells are NA = 0, except Canada)
          + Intercept                if any level > 1 (never for 11111, fragla issue #23)
          + Σ_{d: level_d ≥ 4} coef[d"45"]           (Canada)
          + (n45 − 1)² × Num45sq      if n45 ≥ 1     (Canada; n45 = dimensions at level 4 or 5)
          + N4                        if any level ≥ 4 (South Korea)
          + N5                        if any level = 5 (Australia, Sweden_2020)
          + (MO − 1)(AD − 1) × MOAD + (PD − 1)(AD − 1) × PDAD   (Singapore)

Rounding: none. We return the float64 sum of the published coefficients (the terms are added in
the order above), so downstream means and changes are not biased by early rounding; round only
for display (fragla and most papers show 3 dp). The 3125 values of a set are computed once into a
table; `index_5l` gathers from it and `index_5l_one` reads the same values, so the two are
bit-identical for every state.

Default: "england" (Devlin et al. 2018). Issue 2 names England (Devlin 2018) and USA (Pickard
2019) as the named choices, and England is also the default of the reference implementation
fragla/eq5d (`eq5d5l(country = "England")`), so an unconfigured install reproduces the reference
package. It is a software default, not a recommendation: each site sets the value set of its own
country or payer in its site settings (NICE, for one, advises mapping to the 3L UK set instead;
see `dsu_map_5l_to_3l`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fusiontrack.core.eq5d import _data
from fusiontrack.core.eq5d._levels import N_STATES_5L, all_states, state_code_one, state_codes
from fusiontrack.core.eq5d.value_sets import Catalogue

_DIMS = ("MO", "SC", "UA", "PD", "AD")
_KNOWN_ROWS = frozenset(
    ["StartValue", "Intercept", "Num45sq", "N4", "N5", "MOAD", "PDAD"]
    + [f"{d}{lvl}" for d in _DIMS for lvl in range(1, 6)]
    + [f"{d}45" for d in _DIMS]
)

_COLUMNS: dict[str, str] = {c.lower(): c for c in _data.vt_table()[0]}

#: Ids of all EQ-5D-5L value sets (the columns of VT.csv, lower case).
VALUE_SETS_5L: tuple[str, ...] = tuple(_COLUMNS)

#: Friendly names -> id. England (Devlin 2018) and USA (Pickard 2019) are issue 2's named choices.
NAMED_5L: dict[str, str] = {"england": "england", "usa": "usa", "us": "usa", "united_states": "usa"}

#: See the module docstring for why; sites choose their own default.
DEFAULT_VALUE_SET_5L = "england"

CATALOGUE_5L = Catalogue("EQ-5D-5L value set", VALUE_SETS_5L, NAMED_5L)


def _build_table(column: str) -> npt.NDArray[np.float64]:
    """Index of all 3125 states (state-code order) for one VT.csv column."""
    rows = _data.vt_table()[1]
    unknown = {name for name, cells in rows.items() if cells[column] is not None} - _KNOWN_ROWS
    if unknown:  # a newer VT.csv with a term we do not implement must not be scored silently
        raise RuntimeError(f"VT.csv {column}: unsupported terms {sorted(unknown)}")

    def coef(row: str) -> float:
        value = rows[row][column] if row in rows else None
        return 0.0 if value is None else value

    states = all_states(5)
    index: npt.NDArray[np.float64] = np.full(N_STATES_5L, coef("StartValue"))
    for d, dim in enumerate(_DIMS):
        if any(rows[f"{dim}{lvl}"][column] is None for lvl in range(2, 6)):
            raise RuntimeError(f"VT.csv {column}: {dim} decrements incomplete")
        by_level = np.array([coef(f"{dim}{lvl}") for lvl in range(1, 6)])
        index = index + by_level[states[:, d] - 1]
    index = index + np.where((states > 1).any(axis=1), coef("Intercept"), 0.0)
    in45 = states >= 4
    for d, dim in enumerate(_DIMS):
        index = index + np.where(in45[:, d], coef(f"{dim}45"), 0.0)
    n45 = in45.sum(axis=1)
    index = index + np.where(n45 >= 1, (n45 - 1) ** 2 * coef("Num45sq"), 0.0)
    index = index + np.where(in45.any(axis=1), coef("N4"), 0.0)
    index = index + np.where((states == 5).any(axis=1), coef("N5"), 0.0)
    mo, pd_, ad = states[:, 0] - 1, states[:, 3] - 1, states[:, 4] - 1
    index = index + (mo * ad) * coef("MOAD")
    index = index + (pd_ * ad) * coef("PDAD")
    index.setflags(write=False)
    return index


# UNRESOLVED (shared/notes/verified-facts.md §1): Germany (Ludwig 2018) AD level 4 is −0.244 in
# VT.csv and we keep it — fragla, valueEQ5D, the NICE DSU table's Germany column and the MII FHIR
# IG (citing EuroQol's SPSS syntax) agree — but eq5dsuite encodes −0.224 (11114 = 0.776 instead
# of 0.756). Re-check against Ludwig 2018 Table 3 before release; tests pin 11114 = 0.756.

_TABLES: dict[str, npt.NDArray[np.float64]] = {}
_SCALAR_TABLES: dict[str, list[float]] = {}  # keyed by every spelling already resolved


def table_5l(value_set: str = DEFAULT_VALUE_SET_5L) -> npt.NDArray[np.float64]:
    """Read-only index of all 3125 states, in state-code order (11111, 11112, ..., 55555)."""
    vs_id = CATALOGUE_5L.resolve(value_set)
    table = _TABLES.get(vs_id)
    if table is None:
        table = _TABLES[vs_id] = _build_table(_COLUMNS[vs_id])
    return table


def _scalar_table(value_set: str) -> list[float]:
    table: list[float] = table_5l(value_set).tolist()
    if isinstance(value_set, str) and len(_SCALAR_TABLES) < 1000:
        _SCALAR_TABLES[value_set] = table
    return table


def index_5l(
    mo: object,
    sc: object,
    ua: object,
    pd: object,
    ad: object,
    value_set: str = DEFAULT_VALUE_SET_5L,
) -> npt.NDArray[np.float64]:
    """EQ-5D-5L index of many responses (equal-length arrays of levels 1–5), unrounded float64.

    Raises ScoringError on the first invalid level (naming eq5d_mo … eq5d_ad, the value and
    "1–5") or an unknown value set; callers that must not fail filter bad rows first.
    """
    table = table_5l(value_set)
    return np.asarray(table[state_codes((mo, sc, ua, pd, ad), 5)], dtype=np.float64)


def index_5l_one(
    mo: int, sc: int, ua: int, pd: int, ad: int, value_set: str = DEFAULT_VALUE_SET_5L
) -> float:
    """EQ-5D-5L index of one response; bit-identical to `index_5l` for the same answers."""
    table = _SCALAR_TABLES.get(value_set) if isinstance(value_set, str) else None
    if table is None:
        table = _scalar_table(value_set)
    return table[state_code_one((mo, sc, ua, pd, ad), 5)]
