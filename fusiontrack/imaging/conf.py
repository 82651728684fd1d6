"""Imaging settings, each read from Django settings with a default (env names in README.md).

Limits are operational choices of this app, not clinical facts.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

#: Largest accepted upload. A 43 × 129 cm long-cassette DR film at 0.1 mm is ~4300 × 12900
#: pixels × 2 bytes ≈ 111 MB uncompressed; 200 MB leaves room for that.
DEFAULT_MAX_UPLOAD_MB = 200
#: Largest image decoded (pixels); refuses decompression bombs before any pixel is read.
DEFAULT_MAX_PIXELS = 80_000_000
#: Longest side of the display preview. 2048 px keeps the preview one GPU texture in every
#: browser and ~1–4 MB on the wire; landmarks are still stored in original pixels.
DEFAULT_PREVIEW_MAX_SIDE = 2048


def images_dir() -> Path:
    """Where originals and previews live: ``$FUSIONTRACK_DATA_DIR/images`` unless overridden."""
    configured = getattr(settings, "FUSIONTRACK_IMAGES_DIR", None)
    path = Path(configured) if configured else Path(settings.DATA_DIR) / "images"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def max_upload_bytes() -> int:
    return int(getattr(settings, "FUSIONTRACK_IMAGING_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB)) << 20


def max_pixels() -> int:
    return int(getattr(settings, "FUSIONTRACK_IMAGING_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def preview_max_side() -> int:
    return int(getattr(settings, "FUSIONTRACK_IMAGING_PREVIEW_MAX_SIDE", DEFAULT_PREVIEW_MAX_SIDE))
