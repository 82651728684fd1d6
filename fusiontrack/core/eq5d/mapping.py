"""EQ-5D-5L answers -> EQ-5D-3L utilities: the van Hout crosswalk and the NICE DSU mapping.

- Crosswalk: van Hout B et al. Interim scoring for the EQ-5D-5L. Value Health 2012;15(5):708–715,
  doi:10.1016/j.jval.2012.02.008 — one published value per 5L state and country (fragla `CW.csv`;
  Bermuda, Jordan and Russia are later additions, see value_set references).
- NICE DSU mapping: Hernández Alava M, Pudney S, Wailoo A. Estimating the Relationship Between
  EQ-5D-5L and EQ-5D-3L: Results from a UK Population Study. PharmacoEconomics
  2023;41(2):199–207, doi:10.1007/s40273-022-01218-7 — the mapped 3L utility depends on the 5L
  state, age band and sex (fragla `DSU5L`, the `<Country>Copula` columns).

Both are table lookups; values are returned unrounded (the crosswalk table itself has 3 dp).
"""

from __future__ import annotations

import gzip

import numpy as np
import numpy.typing as npt

from fusiontrack.core.eq5d import _data
from fusiontrack.core.eq5d._levels import N_STATES_5L, state_code_one, state_codes
from fusiontrack.core.eq5d.value_sets import Catalogue
from fusiontrack.core.errors import ScoringError

_CW_COLUMNS: dict[str, str] = {c.lower(): c for c in _data.crosswalk_table()[0]}

#: Countries of the van Hout 2012 crosswalk (CW.csv columns, lower case).
CROSSWALK_COUNTRIES: tuple[str, ...] = tuple(_CW_COLUMNS)
CATALOGUE_CW = Catalogue("crosswalk country", CROSSWALK_COUNTRIES, {"us": "usa"})


def _dsu_header() -> tuple[str, ...]:
    with gzip.open(_data._DATA.joinpath("DSU5L.csv.gz").open("rb"), "rt", encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    return tuple(c.removesuffix("Copula").lower() for c in header if c.endswith("Copula"))


#: Countries of the NICE DSU mapping table (DSU5L `<Country>Copula` columns, lower case).
DSU_COUNTRIES: tuple[str, ...] = _dsu_header()
CATALOGUE_DSU = Catalogue("DSU mapping country", DSU_COUNTRIES, {})

#: Age range the DSU table covers (fragla `eq5dmap`: 18–100), and its band edges.
DSU_AGE_MIN, DSU_AGE_MAX = 18, 100
_AGE_EDGES = np.array([35.0, 45.0, 55.0, 65.0])  # 18-34 | 35-44 | 45-54 | 55-64 | 65+
_SEX_CODES = {"male": 0, "m": 0, "female": 1, "f": 1}

_CW_TABLES: dict[str, npt.NDArray[np.float64]] = {}


def crosswalk_table(country: str = "uk") -> npt.NDArray[np.float64]:
    """Read-only crosswalk value of all 3125 5L states, in state-code order."""
    cw_id = CATALOGUE_CW.resolve(country)
    table = _CW_TABLES.get(cw_id)
    if table is None:
        column = _CW_COLUMNS[cw_id]
        table = np.full(N_STATES_5L, np.nan)
        for state, cells in _data.crosswalk_table()[1].items():
            value = cells[column]
            table[state_code_one([int(c) for c in state], 5)] = np.nan if value is None else value
        if np.isnan(table).any():
            raise RuntimeError(f"CW.csv {column}: some 5L states have no value")
        table.setflags(write=False)
        _CW_TABLES[cw_id] = table
    return table


def crosswalk_5l_to_3l(
    mo: object, sc: object, ua: object, pd: object, ad: object, country: str = "uk"
) -> npt.NDArray[np.float64]:
    """van Hout 2012 crosswalk: 3L utility of each 5L response for `country` (default UK)."""
    table = crosswalk_table(country)
    return table[state_codes((mo, sc, ua, pd, ad), 5)]


def _age_bands(age: object, shape: tuple[int, ...]) -> npt.NDArray[np.intp]:
    try:
        years = np.asarray(age, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScoringError(
            f"age = {age!r} is not a number of years; the DSU mapping covers ages "
            f"{DSU_AGE_MIN}–{DSU_AGE_MAX}.",
            item="age",
            value=age,
            allowed=f"{DSU_AGE_MIN}–{DSU_AGE_MAX}",
        ) from None
    years = np.broadcast_to(years, shape) if years.shape != shape else years
    ok = np.isfinite(years) & (years >= DSU_AGE_MIN) & (years <= DSU_AGE_MAX)
    if not ok.all():
        pos = int(np.argmax(~ok.ravel()))
        value = years.ravel()[pos].item()
        raise ScoringError(
            f"age = {value!r} (position {pos}) is outside the DSU mapping's ages "
            f"{DSU_AGE_MIN}–{DSU_AGE_MAX} (Hernández Alava et al. 2023).",
            item="age",
            value=value,
            allowed=f"{DSU_AGE_MIN}–{DSU_AGE_MAX}",
        )
    return np.searchsorted(_AGE_EDGES, years, side="right").astype(np.intp)


def _sex_codes(sex: object, shape: tuple[int, ...]) -> npt.NDArray[np.intp]:
    import pandas as pd

    raw = np.asarray(sex, dtype=object)
    raw = np.broadcast_to(raw, shape) if raw.shape != shape else raw
    codes, uniques = pd.factorize(raw.ravel(), use_na_sentinel=False)
    lookup = np.empty(len(uniques), dtype=np.intp)
    for k, value in enumerate(uniques):
        key = value.strip().lower() if isinstance(value, str) else None
        if key not in _SEX_CODES:
            pos = int(np.argmax(codes == k))
            raise ScoringError(
                f"sex = {value!r} (position {pos}) is not one the DSU mapping knows; "
                "use 'male' or 'female'.",
                item="sex",
                value=value,
                allowed="male, female",
            )
        lookup[k] = _SEX_CODES[key]
    return lookup[codes].reshape(shape)


def dsu_map_5l_to_3l(
    mo: object,
    sc: object,
    ua: object,
    pd: object,
    ad: object,
    age: object,
    sex: object,
    country: str = "uk",
) -> npt.NDArray[np.float64]:
    """NICE DSU mapping (Hernández Alava 2023): 3L utility given 5L answers, age and sex.

    `age` in years (18–100), banded as the table is (18–34, 35–44, 45–54, 55–64, 65+); `sex`
    "male" or "female" (case-insensitive, "m"/"f" accepted). Either may be one value for all rows.
    """
    dsu_id = CATALOGUE_DSU.resolve(country)
    codes = state_codes((mo, sc, ua, pd, ad), 5)
    bands = _age_bands(age, codes.shape)
    sexes = _sex_codes(sex, codes.shape)
    grid = _data.dsu5l_table()[dsu_id]
    return grid[sexes, bands, codes]
