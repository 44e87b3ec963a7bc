"""How long what is kept: the queries of the pruning job (bot/retention.py).

Used or expired login links and sessions and expired notification buttons go at once;
event ids after EVENT_RETENTION; notices kept for an absent web resident and what
adapters remember about messages after their periods; anonymous web residents who have
not written for a year are erased like anyone who asks for it (storage/personal_data.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select

from storage import personal_data
from storage.models import (
    IdeaStatus,
    action_token_table,
    conversation_table,
    dashboard_token_table,
    idea_table,
    pending_notice_table,
    platform_message_table,
    processed_event_table,
    resident_table,
    role_grant_table,
)
from storage.store import EVENT_RETENTION, Tx

WEB = "web"


@dataclass(frozen=True, slots=True)
class Periods:
    """The retention periods, in days (settings: README, Configuration)."""

    action_token_days: int = 14
    notice_days: int = 180
    message_days: int = 30
    web_resident_days: int = 365


def prune(tx: Tx, now: datetime, periods: Periods) -> dict[str, int]:
    """Remove what is no longer needed; returns how many rows per table."""
    D = dashboard_token_table.c
    pruned = {
        "dashboard_token": tx.execute(
            delete(dashboard_token_table).where(or_(D.used_at.is_not(None), D.expires_at < now))
        ),
        "action_token": _prune_action_tokens(tx, now - timedelta(days=periods.action_token_days)),
        "processed_event": tx.execute(
            delete(processed_event_table).where(processed_event_table.c.processed_at < now - EVENT_RETENTION)
        ),
        "pending_notice": tx.execute(
            delete(pending_notice_table).where(
                pending_notice_table.c.created_at < now - timedelta(days=periods.notice_days)
            )
        ),
        "platform_message": tx.execute(
            delete(platform_message_table).where(
                platform_message_table.c.created_at < now - timedelta(days=periods.message_days)
            )
        ),
    }
    return pruned


def _prune_action_tokens(tx: Tx, issued_before: datetime) -> int:
    """Expired buttons, and those whose idea is decided (they can do nothing any more)."""
    T = action_token_table.c
    I = idea_table.c  # noqa: E741 - reads like the table it stands for
    removed = tx.execute(delete(action_token_table).where(T.created_at <= issued_before))
    pending = {int(i) for (i,) in tx.rows(select(I.id).where(I.status == IdeaStatus.PENDING.value))}
    for token, action in tx.rows(select(T.token, T.action)):
        idea = str(action).rsplit(":", 1)[-1]
        if idea.isdigit() and int(idea) not in pending:
            removed += tx.execute(delete(action_token_table).where(T.token == token))
    return removed


def stale_web_residents(tx: Tx, last_written_before: datetime, limit: int = 100) -> list[int]:
    """Web-chat residents (no account, no role) whose conversation has not moved since the date."""
    R = resident_table.c
    C = conversation_table.c
    G = role_grant_table.c
    has_role = exists().where(and_(G.platform == R.platform, G.user_id == R.user_id))
    query = (
        select(R.id)
        .join(conversation_table, C.resident_id == R.id)
        .where(R.platform == WEB, C.updated_at < last_written_before, ~has_role)
        .order_by(R.id)
        .limit(limit)
    )
    return [int(rid) for (rid,) in tx.rows(query)]


def erase_stale_web_residents(tx: Tx, now: datetime, periods: Periods, limit: int = 100) -> int:
    """Erase up to `limit` of them, exactly as if they had asked for it; their ideas stay, without author."""
    before = now - timedelta(days=periods.web_resident_days)
    return sum(personal_data.erase_resident(tx, rid) for rid in stale_web_residents(tx, before, limit))
