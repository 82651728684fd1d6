"""The display preview: one downscaled image instead of tiles.

A film is shown as a single preview whose longest side is at most `preview_max_side()` pixels
(2048 by default), drawn in an <img> that the browser moves and scales with a CSS transform
(GPU-composited), with the landmarks in an SVG whose viewBox is the ORIGINAL image size. Panning
and zooming therefore cost the same for a 3000 × 3000 film as for a small one, and landmarks are
stored in original pixels whatever the preview size. Tiles would only add detail beyond the
preview when zoomed in past 1 preview pixel per screen pixel; a 3000-px film downscaled to 2048
keeps 0.68 of its resolution, so tiles were left out (see README.md).
"""

from __future__ import annotations

import io

import numpy as np

PREVIEW_FORMAT = "png"
PREVIEW_CONTENT_TYPE = "image/png"


def preview_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """Preview dimensions keeping the aspect ratio; never upscaled."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def render_preview(pixels: np.ndarray, max_side: int) -> tuple[bytes, int, int]:
    """PNG bytes of the 8-bit preview, and its width and height."""
    from PIL import Image

    image = Image.fromarray(pixels).convert("L")
    size = preview_size(image.width, image.height, max_side)
    if size != image.size:
        # reducing_gap: box-reduce first, then Lanczos — near-Lanczos quality, several × faster.
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue(), image.width, image.height
