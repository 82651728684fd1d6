"""Errors of the imaging app; messages say what is wrong and what to do, and are shown as-is."""

from __future__ import annotations

from fusiontrack.core.errors import FusiontrackError


class ImagingError(FusiontrackError, ValueError):
    """An upload or image that cannot be used (type, size, encoding, calibration)."""


class DecoderMissing(ImagingError):
    """A compressed DICOM whose transfer syntax has no decoder installed on this server."""

    def __init__(self, message: str, *, transfer_syntax: str, packages: tuple[str, ...]) -> None:
        super().__init__(message)
        self.transfer_syntax = transfer_syntax
        self.packages = packages


class DeidentificationError(ImagingError):
    """A de-identified copy cannot be made safely (e.g. identifiers burned into the pixels)."""
