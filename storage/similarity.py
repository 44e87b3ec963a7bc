"""Reads for the similar-ideas index (dialogs/similar.py): which ideas can be suggested.

Published (approved) and pending ideas of every city can be suggested. The index is kept
in memory; these queries tell it cheaply whether anything changed since it last looked
and fetch only the ideas that did. No query here reads an author.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, bindparam, func, or_, select, type_coerce

from storage.models import IdeaStatus, idea_table
from storage.store import Tx

I = idea_table.c  # noqa: E741 - reads like the table it stands for

SUGGESTED = (IdeaStatus.APPROVED.value, IdeaStatus.PENDING.value)

Fingerprint = tuple[int, int, Any]

Row = tuple[int, str, str, str, str, int]
"""Id, title, description, status, city and support of one idea."""

_SUGGESTED = or_(*(I.status == status for status in SUGGESTED))
_FINGERPRINT = select(func.count(), func.coalesce(func.max(I.id), 0), func.max(I.updated_at))
_VERSIONS = select(I.id, type_coerce(I.updated_at, String)).where(_SUGGESTED)
"""The time as the database returns it, only compared for equality: not parsed into a datetime
(on SQLite that parsing was most of the cost of reading every idea's version)."""
_COLUMNS = (I.id, I.title, I.description, I.status, I.city, I.support_count)
_ALL = select(*_COLUMNS).where(_SUGGESTED)
_ONE = select(*_COLUMNS).where(I.id == bindparam("idea_id"))


def fingerprint(tx: Tx) -> Fingerprint:
    """Changes whenever an idea is added, deleted or written (every write sets updated_at)."""
    row = tx.first(_FINGERPRINT, {})
    assert row is not None
    return (int(row[0]), int(row[1]), row[2])


def versions(tx: Tx) -> dict[int, Any]:
    """Every idea that can be suggested, with the time it was last written (an opaque version)."""
    return {int(idea_id): updated for idea_id, updated in tx.all(_VERSIONS, {})}


def suggestable(tx: Tx) -> list[Row]:
    """Every idea that can be suggested, with its text."""
    return [_row(row) for row in tx.all(_ALL, {})]


def ideas(tx: Tx, ids: Sequence[int]) -> list[Row]:
    """The given ideas as they are now, whatever their status; ids no longer stored are left out."""
    found = (tx.first(_ONE, {"idea_id": idea_id}) for idea_id in ids)
    return [_row(row) for row in found if row is not None]


def _row(row: tuple[Any, ...]) -> Row:
    idea_id, title, description, status, city, support = row
    return (int(idea_id), title, description, status, city, int(support))
