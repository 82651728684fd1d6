"""A small typed exception hierarchy for the clinical core.

Messages say what is wrong and what to do next; the CLI and the web layer render them as-is.
"""

from __future__ import annotations


class FusiontrackError(Exception):
    """Base class for every error the core raises on purpose."""


class DefinitionError(FusiontrackError):
    """An instrument, threshold or schedule definition file is malformed."""


class ScoringError(FusiontrackError, ValueError):
    """An answer is outside what the instrument allows.

    Carries the item, the offending value and the allowed range so callers can point at it.
    """

    def __init__(
        self,
        message: str,
        *,
        item: str | None = None,
        value: object = None,
        allowed: str | None = None,
    ) -> None:
        super().__init__(message)
        self.item = item
        self.value = value
        self.allowed = allowed


class IncompleteResponse(FusiontrackError):
    """Too few items were answered for the instrument's scoring rule to give a score."""

    def __init__(self, message: str, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


class UnknownInstrument(FusiontrackError, KeyError):
    """No instrument with that id is registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "unknown instrument"


class ScheduleError(FusiontrackError, ValueError):
    """A follow-up schedule or time point is invalid."""


class ThresholdError(FusiontrackError, ValueError):
    """A threshold set or threshold lookup is invalid."""


class RadiologyError(FusiontrackError, ValueError):
    """Landmarks, pixel spacing or a requested level cannot give a radiographic measurement.

    Carries the landmark at fault (when there is one) so the measuring tool can highlight it.
    """

    def __init__(self, message: str, *, landmark: str | None = None) -> None:
        super().__init__(message)
        self.landmark = landmark


class ProtocolError(FusiontrackError, ValueError):
    """A clinic protocol (preparation and recovery plan defaults) is malformed.

    Carries the dotted path of the first offending field and every problem found, so a clinic
    editing its protocol can fix them all in one go.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        problems: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.field = field
        self.problems = problems


class PlanError(FusiontrackError, ValueError):
    """The inputs for a patient preparation or recovery plan are invalid."""
