"""The one table of instruments, loaded from `definitions/*.json` at import."""

from __future__ import annotations

from collections.abc import Mapping

from fusiontrack.core.errors import UnknownInstrument
from fusiontrack.core.instruments.loader import load_definitions
from fusiontrack.core.instruments.schema import Instrument

INSTRUMENTS: Mapping[str, Instrument] = load_definitions()


def get_instrument(instrument_id: str) -> Instrument:
    """The registered instrument, or UnknownInstrument listing the ids that exist."""
    try:
        return INSTRUMENTS[instrument_id]
    except (KeyError, TypeError):
        raise UnknownInstrument(
            f"Unknown instrument {instrument_id!r}; known instruments: {', '.join(INSTRUMENTS)}."
        ) from None
