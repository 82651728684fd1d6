"""Check EQ-5D answers and turn the five levels into one state code.

A state code is the 0-based position of the state in "11111, 11112, ..., 55555" order
(code = Σ (level_d − 1) × L^(4−d)), so every index, crosswalk or mapping value of a value set is
one precomputed table and scoring is a single gather. Single and batch scoring read the same table,
which is what makes them bit-identical.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from fusiontrack.core.errors import ScoringError

#: Item ids of the five dimensions, as the CLI input columns name them (issue 2 §6).
ITEMS: tuple[str, ...] = ("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad")
N_STATES_5L = 5**5
N_STATES_3L = 3**5


def _allowed(levels: int) -> str:
    return f"1–{levels}"


def _level_error(
    item: str, value: object, levels: int, position: int | None = None
) -> ScoringError:
    where = "" if position is None else f" (position {position})"
    return ScoringError(
        f"{item} = {value!r}{where} is not an EQ-5D-{levels}L level; answer with a whole number "
        f"{_allowed(levels)}.",
        item=item,
        value=value,
        allowed=_allowed(levels),
    )


def level_one(item: str, value: object, levels: int) -> int:
    """One answer as an int level, or ScoringError naming the item, the value and the range."""
    if type(value) is int and 1 <= value <= levels:
        return value
    if isinstance(value, bool | np.bool_):
        raise _level_error(item, value, levels)
    if isinstance(value, numbers.Integral):
        level = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        level = int(float(value))  # 3.0 from a CSV column that pandas read as float
    else:
        raise _level_error(item, value, levels)
    if not 1 <= level <= levels:
        raise _level_error(item, value, levels)
    return level


def state_code_one(levels_in: Sequence[object], levels: int, items: Sequence[str] = ITEMS) -> int:
    """State code of one response (see module docstring)."""
    code = 0
    for item, value in zip(items, levels_in, strict=True):
        if not (type(value) is int and 1 <= value <= levels):
            value = level_one(item, value, levels)
        code = code * levels + value - 1
    return code


def _first_bad(
    item: str, values: object, levels: int
) -> tuple[npt.NDArray[Any], int | None, object]:
    """The answers as an int array, plus the flat position and value of the first invalid one."""
    arr = np.asarray(values)
    kind = arr.dtype.kind
    if kind in "iu":
        ints = arr
        if ints.size == 0 or (ints.min() >= 1 and ints.max() <= levels):
            return ints, None, None
        bad = (ints < 1) | (ints > levels)
    elif kind == "f":
        ok = np.isfinite(arr) & (arr >= 1) & (arr <= levels) & (arr == np.floor(arr))
        if ok.all():
            return arr.astype(np.int64), None, None
        bad = ~ok
    elif kind == "O":
        flat = arr.ravel()
        out = np.empty(flat.shape, dtype=np.int64)
        for pos, value in enumerate(flat):
            try:
                out[pos] = level_one(item, value, levels)
            except ScoringError:
                return out.reshape(arr.shape), pos, value
        return out.reshape(arr.shape), None, None
    else:  # bool, str, bytes, datetime...: never a level
        if arr.size == 0:
            return arr.astype(np.int64), None, None
        bad = np.ones(arr.shape, dtype=bool)
    pos = int(np.argmax(bad.ravel()))
    value = arr.ravel()[pos]
    return arr, pos, value.item()  # the caller raises; no conversion needed


def state_codes(
    columns: Sequence[object], levels: int, items: Sequence[str] = ITEMS
) -> npt.NDArray[np.intp]:
    """State codes of many responses; ScoringError on the first invalid answer (lowest position)."""
    if len(columns) != len(items):
        raise ScoringError(f"EQ-5D needs {len(items)} dimensions, got {len(columns)}.")
    checked = [_first_bad(item, col, levels) for item, col in zip(items, columns, strict=True)]
    shapes = {arr.shape for arr, _, _ in checked}
    if len(shapes) != 1:
        raise ScoringError(
            "EQ-5D dimensions must have the same length; got "
            + ", ".join(f"{item} {checked[i][0].shape}" for i, item in enumerate(items))
        )
    bad = [(pos, i) for i, (_, pos, _) in enumerate(checked) if pos is not None]
    if bad:
        pos, i = min(bad)
        raise _level_error(items[i], checked[i][2], levels, pos)
    code = checked[0][0].astype(np.intp, copy=True)
    for arr, _, _ in checked[1:]:
        code *= levels
        np.add(code, arr, out=code, casting="unsafe")  # levels are 1..L here, any int dtype fits
    code -= sum(levels**k for k in range(len(items)))  # the "all level 1" offset
    return code


def all_states(levels: int, n_dims: int = 5) -> npt.NDArray[np.int64]:
    """Every state as rows of levels, in state-code order (11111, 11112, ...)."""
    grids = np.indices((levels,) * n_dims).reshape(n_dims, -1).T + 1
    return np.ascontiguousarray(grids, dtype=np.int64)


def state_label(levels_row: Sequence[int]) -> str:
    """'12345' for levels (1, 2, 3, 4, 5)."""
    return "".join(str(int(v)) for v in levels_row)
