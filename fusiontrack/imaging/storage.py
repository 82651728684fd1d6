"""Files of radiographs on disk, outside the database and outside every static/media URL.

Names are random (no patient data in a path), files are created 0600 in a 0700 directory, and
the only way a browser gets the bytes is an authorised, audited view (`views.radiograph_original`,
`views.radiograph_preview`). Names stored in the database are validated before any path is built.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from fusiontrack.imaging.conf import images_dir
from fusiontrack.imaging.errors import ImagingError

_NAME = re.compile(r"^[0-9a-f]{32}\.(dcm|png|jpg)$")
EXTENSIONS = {"dicom": "dcm", "png": "png", "jpeg": "jpg"}


def new_name(extension: str) -> str:
    return f"{secrets.token_hex(16)}.{extension}"


def path_for(name: str) -> Path:
    """The path of a stored file; refuses anything that is not one of our random names."""
    if not _NAME.match(name):
        raise ImagingError("Stored file name is not valid.")
    return images_dir() / name[:2] / name


def _open_new(name: str) -> int:
    path = path_for(name)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def write_chunks(name: str, chunks: Iterable[bytes], *, limit: int) -> int:
    """Stream an upload to disk; stops and deletes at `limit` bytes. Returns the size."""
    size = 0
    fd = _open_new(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise ImagingError(
                        f"The file is larger than the limit of {limit >> 20} MB. Export the "
                        "film with compression or at a lower resolution."
                    )
                handle.write(chunk)
    except BaseException:
        delete(name)
        raise
    return size


def write_bytes(name: str, data: bytes) -> None:
    fd = _open_new(name)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def delete(*names: str) -> None:
    for name in names:
        if name:
            path_for(name).unlink(missing_ok=True)
