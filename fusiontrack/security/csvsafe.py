"""Neutralise spreadsheet formula injection in exported cells (OWASP "CSV Injection").

A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a formula by
Excel/LibreOffice; prefixing a single quote makes it text. Numbers are left alone, so a negative
score stays a number.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell value safe to open in a spreadsheet (non-strings unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(row: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [neutralise(value) for value in row]
