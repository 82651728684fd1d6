"""Seeded random streams and vectorised draws shared by the cohort generator.

Each table draws from its own named stream (seed + name), so adding a column to one table never
shifts the values of another: the cohort stays reproducible as the generator grows.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for one named part of the cohort."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def categorical(
    rng: np.random.Generator, probabilities: Mapping[str, float], size: int
) -> NDArray[np.str_]:
    """`size` codes drawn with the given probabilities (normalised, so rounding is harmless)."""
    codes = list(probabilities)
    p = np.asarray([probabilities[c] for c in codes], dtype=float)
    return np.asarray(codes)[rng.choice(len(codes), size=size, p=p / p.sum())]


def categorical_by_group(
    rng: np.random.Generator,
    groups: NDArray[np.str_],
    table: Mapping[str, Mapping[str, float]],
) -> NDArray[np.object_]:
    """One code per row from the row's group distribution (``table["default"]`` otherwise)."""
    out = np.empty(len(groups), dtype=object)
    uniform = rng.random(len(groups))
    for group in np.unique(groups):
        mask = groups == group
        dist = table.get(str(group), table.get("default"))
        if dist is None:
            continue
        codes = list(dist)
        cum = np.cumsum([dist[c] for c in codes], dtype=float)
        index = np.searchsorted(cum / cum[-1], uniform[mask], side="right")
        out[mask] = np.asarray(codes, dtype=object)[np.minimum(index, len(codes) - 1)]
    return out


def normal_clipped(
    rng: np.random.Generator,
    mean: float | NDArray[np.float64],
    sd: float,
    low: float,
    high: float,
    size: int,
) -> NDArray[np.float64]:
    return np.clip(rng.normal(mean, sd, size), low, high)


def lognormal_from_mean_sd(
    rng: np.random.Generator, mean: float, sd: float, size: int
) -> NDArray[np.float64]:
    """Log-normal draws whose arithmetic mean and SD are the published ones."""
    sigma2 = np.log1p((sd / mean) ** 2)
    return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), size)


def lognormal_from_median(
    rng: np.random.Generator, median: float, sigma: float, size: int
) -> NDArray[np.float64]:
    return rng.lognormal(np.log(median), sigma, size)


def uniform_days(
    rng: np.random.Generator,
    low: int | NDArray[np.int64],
    high: int | NDArray[np.int64],
    size: int,
) -> NDArray[np.int64]:
    """Whole days uniformly in [low, high] (inclusive; arrays allowed)."""
    low_a = np.asarray(low, dtype=np.int64)
    high_a = np.maximum(np.asarray(high, dtype=np.int64), low_a)
    return low_a + np.floor(rng.random(size) * (high_a - low_a + 1)).astype(np.int64)


def pick(rng: np.random.Generator, options: Sequence[str], size: int) -> NDArray[np.object_]:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), size)]


def sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))
