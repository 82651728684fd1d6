"""Run every benchmark: `python -m benchmarks [name ...]`.

Each benchmark module exposes `main()` and prints its own table. Benchmarks never run in the test
suite and never assert on time; they print ratios against a floor measured in the same run.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "scoring": "benchmarks.scoring_bench",
    "radiology": "benchmarks.radiology_bench",
    "imaging": "benchmarks.imaging_bench",
    "portal": "benchmarks.portal_bench",
    "interop": "benchmarks.interop_bench",
    "insight": "benchmarks.insight_bench",
    "registry": "benchmarks.registry_bench",
    "security": "benchmarks.security_bench",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        try:
            module = importlib.import_module(BENCHMARKS[name])
        except ModuleNotFoundError as exc:
            print(f"skipped: {exc}")
            continue
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
