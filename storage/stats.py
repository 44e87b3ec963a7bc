"""Figures for staff: ideas, supports and participants, straight from the store."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from storage.models import IdeaStatus, dashboard_token_table, idea_table, resident_table, vote_table
from storage.store import Tx

I = idea_table.c  # noqa: E741 - reads like the table it stands for
R = resident_table.c
V = vote_table.c
D = dashboard_token_table.c


@dataclass(frozen=True)
class FieldCity:
    field_id: str
    city: str
    ideas: int
    supports: int


@dataclass(frozen=True)
class Overview:
    by_field_city: list[FieldCity]
    participants_by_platform: dict[str, int]
    supports_by_platform: dict[str, int]
    """Supports given (votes, on any idea) by the platform of the resident who gave them."""
    new_ideas: int
    new_supports: int
    new_participants: int
    weekly: list[tuple[str, int, int]]
    """(ISO week start, ideas submitted, supports given), oldest first."""


def overview(tx: Tx, now: datetime, weeks: int = 12) -> Overview:
    published = tx.rows(
        select(I.field_id, I.city, func.count(), func.coalesce(func.sum(I.support_count), 0))
        .where(I.status == IdeaStatus.APPROVED.value)
        .group_by(I.field_id, I.city)
        .order_by(I.field_id, I.city)
    )
    platforms = tx.rows(select(R.platform, func.count()).group_by(R.platform).order_by(R.platform))
    supports = tx.rows(
        select(R.platform, func.count())
        .select_from(vote_table.join(resident_table, V.resident_id == R.id))
        .group_by(R.platform)
        .order_by(R.platform)
    )
    week_ago = now - timedelta(days=7)
    new_ideas = tx.rows(select(func.count()).select_from(idea_table).where(I.created_at >= week_ago))[0][0]
    new_supports = tx.rows(select(func.count()).select_from(vote_table).where(V.created_at >= week_ago))[0][0]
    new_people = tx.rows(select(func.count()).select_from(resident_table).where(R.created_at >= week_ago))[0][0]
    return Overview(
        by_field_city=[FieldCity(f, c, int(n), int(s)) for f, c, n, s in published],
        participants_by_platform={p: int(n) for p, n in platforms},
        supports_by_platform={p: int(n) for p, n in supports},
        new_ideas=int(new_ideas),
        new_supports=int(new_supports),
        new_participants=int(new_people),
        weekly=_weekly(tx, now, weeks),
    )


def _weekly(tx: Tx, now: datetime, weeks: int) -> list[tuple[str, int, int]]:
    """Counted in SQL, one range per week on the creation indexes; the week starts (Mondays,
    UTC) are computed here, as week arithmetic differs between SQLite and PostgreSQL."""
    start_today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = start_today - timedelta(days=start_today.weekday(), weeks=weeks - 1)
    starts = [first + timedelta(weeks=n) for n in range(weeks + 1)]

    def per_week(table: Any, column: Any) -> list[Any]:
        return [
            select(func.count()).select_from(table).where(column >= start, column < end).scalar_subquery()
            for start, end in pairwise(starts)
        ]

    counts = tx.rows(select(*per_week(idea_table, I.created_at), *per_week(vote_table, V.created_at)))[0]
    return [(starts[n].date().isoformat(), int(counts[n]), int(counts[weeks + n])) for n in range(weeks)]


# -- dashboard access ------------------------------------------------------------------------

LOGIN_VALID = timedelta(minutes=10)
SESSION_VALID = timedelta(hours=8)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_dashboard_token(tx: Tx, kind: str, platform: str, user_id: str, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    valid = LOGIN_VALID if kind == "login" else SESSION_VALID
    values = {
        "token_hash": _hash(token),
        "kind": kind,
        "platform": platform,
        "user_id": user_id,
        "expires_at": now + valid,
        "used_at": None,
    }
    tx.execute(insert(dashboard_token_table).values(values))
    return token


def login_token_open(tx: Tx, token: str, now: datetime) -> bool:
    """Whether a login link still works, without using it up (a link preview only looks)."""
    rows = tx.rows(select(D.expires_at, D.used_at).where(D.token_hash == _hash(token), D.kind == "login"))
    return bool(rows) and rows[0][1] is None and _aware(rows[0][0]) >= now


def use_login_token(tx: Tx, token: str, now: datetime) -> tuple[str, str] | None:
    """The identity behind a login link, once: a used or expired link gives None."""
    rows = tx.rows(
        select(D.platform, D.user_id, D.expires_at, D.used_at).where(D.token_hash == _hash(token), D.kind == "login")
    )
    if not rows or rows[0][3] is not None or _aware(rows[0][2]) < now:
        return None
    changed = tx.execute(
        update(dashboard_token_table).where(D.token_hash == _hash(token), D.used_at.is_(None)).values(used_at=now)
    )
    return (rows[0][0], rows[0][1]) if changed == 1 else None


def session_identity(tx: Tx, token: str, now: datetime) -> tuple[str, str] | None:
    rows = tx.rows(select(D.platform, D.user_id, D.expires_at).where(D.token_hash == _hash(token), D.kind == "session"))
    if not rows or _aware(rows[0][2]) < now:
        return None
    return rows[0][0], rows[0][1]


def end_session(tx: Tx, token: str) -> None:
    """Log out: the session's cookie opens nothing any more, even if a copy of it is kept."""
    tx.execute(delete(dashboard_token_table).where(D.token_hash == _hash(token), D.kind == "session"))


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive UTC datetimes; PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
