"""Batch scoring of 1,000,000 synthetic responses (ODI + EQ-5D-5L England + NRS back/leg).

Prints responses/s for `score_table`, the same for a floor — bare numpy doing only the ODI sums
and the EQ-5D table lookup — their ratio, the peak memory of a process doing the batch, and the
time of single-response scoring. Issue 2 targets: >= 1,000,000 responses/s, within 3x the floor,
< 1 GB, single response < 50 µs.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import timeit

import numpy as np
import pandas as pd

N = 1_000_000
SEED = 20261124
EQ5D = ("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad")


def synthetic_responses(n: int = N, seed: int = SEED) -> pd.DataFrame:
    """Valid answers; one ODI section in twenty rows is blank (the prorating path runs), never
    two in a row, so every response is scoreable."""
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    blank_section = np.where(rng.random(n) < 0.05, rng.integers(1, 11, n), 0)
    for i in range(1, 11):
        col = rng.integers(0, 6, n).astype(float)
        col[blank_section == i] = np.nan
        data[f"odi_{i}"] = col
    for dim in EQ5D:
        data[dim] = rng.integers(1, 6, n)
    data["nrs_back"] = rng.integers(0, 11, n)
    data["nrs_leg"] = rng.integers(0, 11, n)
    return pd.DataFrame(data)


def floor(frame: pd.DataFrame, table: np.ndarray) -> np.ndarray:
    """The least work any scorer must do: ODI sum/answered, five gathers and a sum for EQ-5D."""
    odi = frame[[f"odi_{i}" for i in range(1, 11)]].to_numpy()
    answered = (~np.isnan(odi)).sum(axis=1)
    odi_score = np.nansum(odi, axis=1) / (5 * answered) * 100
    levels = frame[list(EQ5D)].to_numpy()
    index = 1 - sum(table[d, levels[:, d] - 1] for d in range(5))
    return odi_score + index + frame["nrs_back"].to_numpy() + frame["nrs_leg"].to_numpy()


def england_table() -> np.ndarray:
    """England (Devlin 2018) decrements by dimension x level, from the core's value set."""
    from fusiontrack.core import eq5d

    table = np.zeros((5, 5))
    for d in range(5):
        for level in range(1, 6):
            state = [1, 1, 1, 1, 1]
            state[d] = level
            table[d, level - 1] = 1 - eq5d.index_5l_one(*state, value_set="england")
    return table


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _proc_status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Linux: make the peak (VmHWM) the current RSS, so the generator's temporaries do not hide
    the scoring's own peak."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def peak_memory_child() -> None:
    """Run in a fresh process: generate, then score; print the process peak RSS in MB, the RSS
    holding the input, and (on Linux) the peak while scoring only."""
    from fusiontrack.core.scoring import score_table

    frame = synthetic_responses()
    held = _proc_status_mb("VmRSS")
    reset = _reset_peak()
    score_table(frame, value_set="england")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    scoring_peak = _proc_status_mb("VmHWM") if reset else None
    print(json.dumps({"peak_mb": peak, "input_mb": held, "scoring_peak_mb": scoring_peak}))


def main() -> None:
    from fusiontrack.core.instruments import score
    from fusiontrack.core.scoring import score_table

    frame = synthetic_responses()
    table = england_table()
    scored = score_table(frame, value_set="england")
    assert scored["errors"].eq("").all(), "benchmark input must be valid"
    t_score = best_of(lambda: score_table(frame, value_set="england"))
    t_floor = best_of(lambda: floor(frame, table))
    child = subprocess.run(
        [sys.executable, "-c", "from benchmarks.scoring_bench import peak_memory_child as m; m()"],
        capture_output=True,
        text=True,
        check=True,
    )
    mem = json.loads(child.stdout)
    odi_answers = {f"odi_{i}": (i % 6) for i in range(1, 11)}
    eq_answers = {
        "eq5d_mo": 2,
        "eq5d_sc": 1,
        "eq5d_ua": 3,
        "eq5d_pd": 4,
        "eq5d_ad": 2,
        "eq5d_vas": 70,
    }
    loops = 20_000
    t_odi = min(timeit.repeat(lambda: score("odi", odi_answers), number=loops, repeat=3)) / loops
    t_eq = min(timeit.repeat(lambda: score("eq5d5l", eq_answers), number=loops, repeat=3)) / loops

    print(f"responses                     {N:>12,}")
    print(f"score_table                   {N / t_score:>12,.0f} responses/s  ({t_score:.3f} s)")
    print(f"floor (bare numpy)            {N / t_floor:>12,.0f} responses/s  ({t_floor:.3f} s)")
    print(f"ratio score_table / floor     {t_score / t_floor:>12.2f} x   (target <= 3x)")
    print(f"peak RSS, generate + score    {mem['peak_mb']:>12.0f} MB  (target < 1024 MB)")
    if mem["scoring_peak_mb"] is not None:
        print(
            f"peak RSS while scoring        {mem['scoring_peak_mb']:>12.0f} MB  "
            f"(process holding the input: {mem['input_mb']:.0f} MB)"
        )
    print(f"single ODI response           {t_odi * 1e6:>12.1f} µs    (target < 50 µs)")
    print(f"single EQ-5D-5L response      {t_eq * 1e6:>12.1f} µs    (target < 50 µs)")


if __name__ == "__main__":
    main()
