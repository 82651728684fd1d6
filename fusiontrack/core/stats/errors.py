"""Errors and caveats of the statistics core.

Bad input is an error with a message that says what to fix; a statistical caveat (tiny cohort,
heavy censoring, a model that cannot be shown) is a warning or a flag on the result, never an
error, so a dashboard can still render everything else.
"""

from __future__ import annotations

from fusiontrack.core.errors import FusiontrackError


class StatsInputError(FusiontrackError, ValueError):
    """The data handed to a statistic cannot be analysed as given (missing column, bad values)."""


class ModelFitError(FusiontrackError):
    """A regression model could not be fitted (perfect separation, no convergence, one class)."""


class StatisticalCaveat(UserWarning):
    """A result was computed but needs care in reading (e.g. a model that did not converge)."""
