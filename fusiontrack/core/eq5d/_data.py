"""Read the vendored EQ-5D tables (fusiontrack/core/data/eq5d, see PROVENANCE.md there).

The coefficient files are small and parsed with the csv module at first use, so importing the
package costs nothing; the 31,250-row NICE DSU table is read only when mapping is asked for.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

import numpy as np
import numpy.typing as npt

from fusiontrack.core.eq5d._levels import N_STATES_5L, state_codes

_DATA: Traversable = files("fusiontrack.core").joinpath("data", "eq5d")

#: A coefficient table: row name -> {column name -> value}; None where the file says NA or blank.
CoefficientTable = dict[str, dict[str, float | None]]


def _text(name: str) -> str:
    return _DATA.joinpath(name).read_text(encoding="utf-8")


def _number(cell: str) -> float | None:
    cell = cell.strip()
    if cell in ("", "NA"):
        return None
    value = float(cell)
    return None if math.isnan(value) else value


def _wide_table(name: str) -> tuple[tuple[str, ...], CoefficientTable]:
    """A CSV whose first column names the rows and whose header names the columns."""
    reader = csv.reader(io.StringIO(_text(name)))
    header = next(reader)
    columns = tuple(c.strip().strip('"') for c in header[1:])
    table: CoefficientTable = {}
    for row in reader:
        if not row:
            continue
        table[row[0].strip().strip('"')] = {
            col: _number(cell) for col, cell in zip(columns, row[1:], strict=True)
        }
    return columns, table


@cache
def vt_table() -> tuple[tuple[str, ...], CoefficientTable]:
    """fragla/eq5d `VT.csv`: EQ-5D-5L value-set coefficients, one column per set."""
    return _wide_table("VT.csv")


@cache
def tto_table() -> tuple[tuple[str, ...], CoefficientTable]:
    """fragla/eq5d `TTO.csv`: EQ-5D-3L time trade-off coefficients, one column per set."""
    return _wide_table("TTO.csv")


@cache
def crosswalk_table() -> tuple[tuple[str, ...], CoefficientTable]:
    """fragla/eq5d `CW.csv`: van Hout 2012 crosswalk, a row per 5L state, a column per country."""
    return _wide_table("CW.csv")


@cache
def references() -> tuple[dict[str, str], ...]:
    """fragla/eq5d `references.csv`: PubMed ID / DOI / URL of every value set."""
    return tuple(csv.DictReader(io.StringIO(_text("references.csv"))))


@cache
def citations() -> tuple[dict[str, str], ...]:
    """Full references per value set (derived file, see PROVENANCE.md)."""
    return tuple(csv.DictReader(io.StringIO(_text("citations.csv"))))


#: Age bands of the NICE DSU mapping table, in table order (Hernández Alava et al. 2023).
DSU_AGE_BANDS: tuple[str, ...] = ("18-34", "35-44", "45-54", "55-64", "65+")
DSU_SEXES: tuple[str, ...] = ("male", "female")


@cache
def dsu5l_table() -> dict[str, npt.NDArray[np.float64]]:
    """NICE DSU 5L->3L mapping: country id -> mapped 3L value by [sex, age band, 5L state code].

    Only the `<Country>Copula` columns (the mapped EQ-5D-3L utility) are kept; the plain country
    columns hold the 5L index of that country's own value set and are not needed here.
    """
    import pandas as pd  # heavy import, only when mapping is used

    raw = _DATA.joinpath("DSU5L.csv.gz").read_bytes()
    frame = pd.read_csv(io.BytesIO(gzip.decompress(raw)))
    copula = [c for c in frame.columns if c.endswith("Copula")]
    codes = state_codes(
        tuple(frame[d].to_numpy() for d in ("MO", "SC", "UA", "PD", "AD")),
        levels=5,
        items=("MO", "SC", "UA", "PD", "AD"),
    )
    sex = frame["Sex"].map({s: i for i, s in enumerate(DSU_SEXES)}).to_numpy()
    age = frame["Age"].map({a: i for i, a in enumerate(DSU_AGE_BANDS)}).to_numpy()
    if np.isnan(sex.astype(float)).any() or np.isnan(age.astype(float)).any():
        raise RuntimeError("DSU5L.csv.gz has an unknown age band or sex")  # vendored data broken
    out: dict[str, npt.NDArray[np.float64]] = {}
    for column in copula:
        grid = np.full((len(DSU_SEXES), len(DSU_AGE_BANDS), N_STATES_5L), np.nan)
        grid[sex.astype(np.intp), age.astype(np.intp), codes] = frame[column].to_numpy(float)
        if np.isnan(grid).any():
            raise RuntimeError(f"DSU5L.csv.gz lacks some state/age/sex cells for {column}")
        grid.setflags(write=False)
        out[column.removesuffix("Copula").lower()] = grid
    return out
