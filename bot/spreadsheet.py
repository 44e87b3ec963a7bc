"""CSV cells a spreadsheet takes as text, never as a formula.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel and LibreOffice (CSV or formula injection: an idea titled
``=HYPERLINK(…)`` would become a live link). Such a cell is written with a leading
apostrophe, which spreadsheets show as text. Every CSV the bot writes goes through here;
the JSON exports stay verbatim.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, or a text that starts with an apostrophe where a spreadsheet would see a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def safe_record(record: dict[str, Any]) -> dict[str, Any]:
    return {key: safe_cell(value) for key, value in record.items()}
