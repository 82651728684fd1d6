"""Synthetic standing lateral lumbar films with known landmarks, for the demo and the tests.

Deterministic (seeded noise), drawn from the landmarks so that the points sit on the drawn
corners: vertebral bodies L1–L5 as quadrilaterals, the sacrum below the S1 endplate, both
femoral heads. Four films of one fused patient: pre-op (L4–L5 slip), post-op (slip reduced,
L5–S1 lordosis restored) and post-op flexion/extension with little motion. Not real anatomy,
not patient data: a picture to measure on.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import numpy as np

Point = tuple[float, float]

#: Film size (pixels) and spacing (mm/pixel, square): 210 × 364 mm at 0.14 mm/pixel.
WIDTH, HEIGHT, SPACING_MM = 1500, 2600, 0.14

#: A left-facing pre-operative film (pixels, y down): the radiology benchmark's landmark set.
PREOP: dict[str, Point] = {
    "S1_superior_posterior": (1200.0, 1500.0),
    "S1_superior_anterior": (964.3, 1702.0),
    "L5_inferior_posterior": (1135.2, 1444.4),
    "L5_inferior_anterior": (869.6, 1592.3),
    "L5_superior_posterior": (1012.6, 1282.7),
    "L5_superior_anterior": (738.4, 1418.4),
    "L4_inferior_posterior": (920.5, 1245.8),
    "L4_inferior_anterior": (638.5, 1333.8),
    "L4_superior_posterior": (843.5, 1064.6),
    "L4_superior_anterior": (558.2, 1144.1),
    "L1_superior_posterior": (560.2, 317.4),
    "L1_superior_anterior": (279.0, 287.8),
    "femoral_head_left": (947.9, 2372.9),
    "femoral_head_right": (898.1, 2376.7),
}
KINDS = ("preop", "postop", "flexion", "extension")


def _rotate(point: Point, centre: Point, degrees: float) -> Point:
    a = math.radians(degrees)
    x, y = point[0] - centre[0], point[1] - centre[1]
    return (
        round(centre[0] + x * math.cos(a) - y * math.sin(a), 1),
        round(centre[1] + x * math.sin(a) + y * math.cos(a), 1),
    )


def _moved(
    points: Mapping[str, Point], prefixes: tuple[str, ...], shift: Point = (0.0, 0.0)
) -> dict[str, Point]:
    return {
        name: (round(x + shift[0], 1), round(y + shift[1], 1))
        if name.startswith(prefixes)
        else (x, y)
        for name, (x, y) in points.items()
    }


def _rotated(
    points: Mapping[str, Point], prefixes: tuple[str, ...], centre: Point, degrees: float
) -> dict[str, Point]:
    return {
        name: _rotate(p, centre, degrees) if name.startswith(prefixes) else p
        for name, p in points.items()
    }


def landmarks(kind: str) -> dict[str, Point]:
    """Landmarks of one of the four synthetic films (`KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if kind == "preop":
        return dict(PREOP)
    # post-op: L4 (and L1 above it) moved back over L5 by 6 mm along the L5 endplate and 3 mm
    # up (disc height restored),
    # then L1–L5 turned about the S1 posterior corner so that L5–S1 opens anteriorly.
    a, p = PREOP["L5_superior_anterior"], PREOP["L5_superior_posterior"]
    length = math.dist(a, p)
    ux, uy = (p[0] - a[0]) / length, (p[1] - a[1]) / length
    up = (uy, -ux) if -ux < 0 else (-uy, ux)  # endplate normal pointing up, towards L4
    shift = (ux * 43.0 + up[0] * 21.0, uy * 43.0 + up[1] * 21.0)  # 6 mm back, 3 mm up (cage)
    post = _moved(PREOP, ("L4_", "L1_"), shift)
    post = _rotated(post, ("L5_", "L4_", "L1_"), PREOP["S1_superior_posterior"], 5.0)
    if kind == "postop":
        return post
    # flexion/extension of the fused film: L4 and above turn ±0.5° about L4's posterior-inferior
    # corner (a small motion, as in a solid fusion).
    centre = post["L4_inferior_posterior"]
    return _rotated(post, ("L4_", "L1_"), centre, -0.5 if kind == "flexion" else 0.5)


def _body(top: tuple[Point, Point], bottom: tuple[Point, Point]) -> list[Point]:
    """Quadrilateral of a vertebral body from its (anterior, posterior) endplate corners."""
    return [top[0], top[1], bottom[1], bottom[0]]


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _bodies(points: Mapping[str, Point]) -> list[list[Point]]:
    def plate(name: str) -> tuple[Point, Point]:
        return points[f"{name}_anterior"], points[f"{name}_posterior"]

    l4_top, l4_bottom = plate("L4_superior"), plate("L4_inferior")
    l1_top = plate("L1_superior")
    # L1 inferior: L1 superior shifted by L4's height vector; L2 and L3 spaced between
    height = (
        (l4_bottom[0][0] - l4_top[0][0]) * 0.9,
        (l4_bottom[0][1] - l4_top[0][1]) * 0.9,
    )
    l1_bottom = tuple((c[0] + height[0], c[1] + height[1]) for c in l1_top)
    bodies = [_body(l1_top, l1_bottom)]  # type: ignore[arg-type]
    # L2, L3: four evenly spaced endplates between L1 inferior and L4 superior
    for i in (1, 3):
        top = tuple(_lerp(l1_bottom[j], l4_top[j], (i - 0.5) / 5 + 0.05) for j in (0, 1))
        bottom = tuple(_lerp(l1_bottom[j], l4_top[j], (i + 1.5) / 5 - 0.05) for j in (0, 1))
        bodies.append(_body(top, bottom))  # type: ignore[arg-type]
    bodies.append(_body(l4_top, l4_bottom))
    bodies.append(_body(plate("L5_superior"), plate("L5_inferior")))
    return bodies


def _sacrum(points: Mapping[str, Point]) -> list[Point]:
    ant, post = points["S1_superior_anterior"], points["S1_superior_posterior"]
    dx, dy = ant[0] - post[0], ant[1] - post[1]
    length = math.hypot(dx, dy)
    down = (-dy / length, dx / length)  # perpendicular to the endplate
    if down[1] < 0:
        down = (-down[0], -down[1])
    tip = (post[0] + down[0] * length * 1.7 + dx * 0.1, post[1] + down[1] * length * 1.7)
    return [
        ant,
        post,
        (post[0] + down[0] * length, post[1] + down[1] * length),
        tip,
        (ant[0] + down[0] * length * 0.9, ant[1] + down[1] * length * 0.9),
    ]


def render(points: Mapping[str, Point], *, seed: int = 8) -> bytes:
    """A grey PNG film (WIDTH × HEIGHT) drawn from the landmarks; same input, same bytes."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse((-300, -200, WIDTH + 200, HEIGHT + 400), fill=45)  # soft tissue
    radius = 24.0 / SPACING_MM  # femoral head ~48 mm across
    for name in ("femoral_head_left", "femoral_head_right"):
        x, y = points[name]
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius), fill=120, outline=175, width=10
        )
    draw.polygon(_sacrum(points), fill=140, outline=200, width=12)
    for body in _bodies(points):
        draw.polygon(body, fill=150, outline=215, width=14)
    image = image.filter(ImageFilter.GaussianBlur(4))
    noise = np.random.default_rng(seed).normal(0.0, 9.0, (HEIGHT, WIDTH))
    pixels = np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
