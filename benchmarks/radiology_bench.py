"""All radiographic measures from one film's landmarks (issue 8 target: < 1 ms per call).

The floor is bare `math` computing only the 14 landmarks' pixel→mm conversion and the six
endplate angles the measures are built on: the least work any implementation must do.
"""

from __future__ import annotations

import math
import timeit

from fusiontrack.imaging.synthetic import PREOP

# A left-facing, slightly rotated synthetic film (pixels, y down) with a 7 mm L4–L5 slip.
LANDMARKS = PREOP
SPACING = (0.14, 0.12)
ENDPLATES = (
    "S1_superior",
    "L5_inferior",
    "L5_superior",
    "L4_inferior",
    "L4_superior",
    "L1_superior",
)


def floor() -> list[float]:
    row, col = SPACING
    mm = {k: (x * col, -y * row) for k, (x, y) in LANDMARKS.items()}
    angles = []
    for plate in ENDPLATES:
        (ax, ay), (px, py) = mm[f"{plate}_anterior"], mm[f"{plate}_posterior"]
        angles.append(math.degrees(math.atan2(ay - py, ax - px)))
    return angles


def main() -> None:
    from fusiontrack.core.radiology import compute_measures, compute_motion

    n = 20_000
    t_all = min(timeit.repeat(lambda: compute_measures(LANDMARKS, SPACING), number=n, repeat=5))
    t_motion = min(
        timeit.repeat(
            lambda: compute_motion(LANDMARKS, LANDMARKS, level="L4-L5", flexion_spacing=SPACING),
            number=n // 2,
            repeat=5,
        )
    ) / (n // 2)
    t_floor = min(timeit.repeat(floor, number=n, repeat=5)) / n
    t_all /= n
    measures = compute_measures(LANDMARKS, SPACING)
    computed = sum(1 for m in measures.values.values() if m.value is not None)
    print(
        f"compute_measures, 14 landmarks ({computed} measures)  {t_all * 1e6:8.1f} µs  "
        f"(target < 1000 µs)"
    )
    print(f"compute_motion, flexion–extension pair          {t_motion * 1e6:8.1f} µs")
    print(f"floor: pixel→mm + 6 endplate angles             {t_floor * 1e6:8.1f} µs")
    print(f"ratio compute_measures / floor                  {t_all / t_floor:8.1f} x")


if __name__ == "__main__":
    main()
