"""Broadcasts and their outbox: one row per recipient, written before the first send.

A sender claims a batch of due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
claimers never take the same row), sends, and records each result as soon as it has
it. After a crash, rows still marked claimed are handed back (`release_claims`) and
sent again; only the few that were on the wire at that moment can arrive twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, bindparam, func, insert, literal, select, update

from storage.models import (
    BroadcastStatus,
    OutboxStatus,
    broadcast_table,
    broadcast_translation_table,
    outbox_table,
    resident_table,
)
from storage.store import Tx
from storage.subscriptions import Audience

B = broadcast_table.c
O = outbox_table.c  # noqa: E741 - reads like the table it stands for
R = resident_table.c
ACTIVE = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING, BroadcastStatus.PAUSED)


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    id: int
    author_platform: str
    author_user_id: str
    author_chat_id: str
    author_language: str
    text: str
    audience_city: str | None
    audience_field: str | None
    idea_id: int | None
    button: str | None
    status: str
    send_at: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int
    progress_message: str | None
    progress_final: bool
    poll_id: int | None = None
    """A poll's question or result (storage/polls.py): rendered from the poll, with its buttons."""

    @property
    def audience(self) -> Audience:
        return Audience(self.audience_city, self.audience_field)


BROADCAST_COLUMNS = tuple(getattr(B, name) for name in BroadcastRecord.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A recipient row taken by a sender, with what it needs to address the message."""

    id: int
    broadcast_id: int
    resident_id: int
    attempts: int
    user_id: str
    chat_id: str
    language: str | None


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one send: the row's new status, and when to try again if pending."""

    id: int
    resident_id: int
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Figures:
    total: int
    sent: int
    unreachable: int
    failed: int
    cancelled: int

    @property
    def waiting(self) -> int:
        return self.total - self.sent - self.unreachable - self.failed - self.cancelled


# -- composing and listing ----------------------------------------------------------------


def create_broadcast(
    tx: Tx,
    *,
    author: tuple[str, str, str, str],
    text: str,
    audience: Audience,
    idea_id: int | None,
    button: str | None,
    send_at: datetime,
    now: datetime,
    translations: dict[str, str] | None = None,
    poll_id: int | None = None,
) -> int:
    """A broadcast waiting for its time; `promote_due` writes its recipients then.

    `translations` are the same message in other languages (language code → text), as staff wrote them.
    """
    platform, user_id, chat_id, language = author
    values = {
        "author_platform": platform,
        "author_user_id": user_id,
        "author_chat_id": chat_id,
        "author_language": language,
        "text": text,
        "audience_city": audience.city,
        "audience_field": audience.field,
        "idea_id": idea_id,
        "button": button,
        "status": BroadcastStatus.SCHEDULED.value,
        "send_at": send_at,
        "created_at": now,
        "total": 0,
        "progress_final": False,
        "poll_id": poll_id,
    }
    broadcast_id = int(tx.rows(insert(broadcast_table).values(values).returning(B.id))[0][0])
    for code, translated in (translations or {}).items():
        row = {"broadcast_id": broadcast_id, "language": code, "text": translated}
        tx.execute(insert(broadcast_translation_table).values(row))
    return broadcast_id


def translations(tx: Tx, broadcast_id: int) -> dict[str, str]:
    """The broadcast's text in other languages than the one it was written in."""
    T = broadcast_translation_table.c
    rows = tx.rows(select(T.language, T.text).where(T.broadcast_id == broadcast_id))
    return {str(code): str(text) for code, text in rows}


def get(tx: Tx, broadcast_id: int) -> BroadcastRecord | None:
    rows = tx.rows(select(*BROADCAST_COLUMNS).where(B.id == broadcast_id))
    return BroadcastRecord(*rows[0]) if rows else None


def recent(tx: Tx, limit: int = 10) -> list[BroadcastRecord]:
    rows = tx.rows(select(*BROADCAST_COLUMNS).order_by(B.id.desc()).limit(limit))
    return [BroadcastRecord(*row) for row in rows]


def figures(tx: Tx, broadcast_id: int) -> Figures:
    counts = dict(tx.rows(select(O.status, func.count()).where(O.broadcast_id == broadcast_id).group_by(O.status)))
    total = sum(counts.values())
    return Figures(
        total=total,
        sent=counts.get(OutboxStatus.SENT.value, 0),
        unreachable=counts.get(OutboxStatus.UNREACHABLE.value, 0),
        failed=counts.get(OutboxStatus.FAILED.value, 0),
        cancelled=counts.get(OutboxStatus.CANCELLED.value, 0),
    )


def change_status(tx: Tx, broadcast_id: int, allowed_from: tuple[BroadcastStatus, ...], to: BroadcastStatus) -> bool:
    """Pause, resume or cancel; False when the broadcast is not in a state that allows it."""
    current = tx.rows(select(B.status).where(B.id == broadcast_id).with_for_update())
    if not current or current[0][0] not in {s.value for s in allowed_from}:
        return False
    tx.execute(update(broadcast_table).where(B.id == broadcast_id).values(status=to.value))
    if to is BroadcastStatus.CANCELLED:
        tx.execute(
            update(outbox_table)
            .where(O.broadcast_id == broadcast_id, O.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.CANCELLED.value)
        )
    return True


# -- the scheduler ------------------------------------------------------------------------------

_DUE = (
    select(B.id, B.audience_city, B.audience_field)
    .where(B.status == BroadcastStatus.SCHEDULED.value, B.send_at <= bindparam("now"))
    .order_by(B.id)
    .with_for_update(skip_locked=True)
)


def promote_due(tx: Tx, now: datetime) -> list[tuple[int, int]]:
    """Broadcasts whose time has come: write every recipient row, then mark them sending.

    Returns (broadcast, recipients) for each. Several processes may call this at once:
    the row lock and the status check let exactly one of them write the recipients.
    """
    promoted = []
    for broadcast_id, city, field in tx.all(_DUE, {"now": now}):
        recipients = (
            select(
                literal(broadcast_id, Integer),
                R.id,
                R.platform,
                literal(OutboxStatus.PENDING.value, String),
                literal(0, Integer),
                literal(now, DateTime(timezone=True)),
            )
            .where(*Audience(city, field).condition())
            .order_by(R.id)
        )
        columns = ["broadcast_id", "resident_id", "platform", "status", "attempts", "next_attempt_at"]
        total = tx.execute(insert(outbox_table).from_select(columns, recipients))
        tx.execute(
            update(broadcast_table)
            .where(B.id == broadcast_id)
            .values(status=BroadcastStatus.SENDING.value, started_at=now, total=total)
        )
        promoted.append((int(broadcast_id), total))
    return promoted


_OPEN_ROWS = select(func.count()).where(
    O.broadcast_id == bindparam("bid"),
    (O.status == OutboxStatus.PENDING.value) | (O.status == OutboxStatus.CLAIMED.value),
)
_SENDING = select(B.id).where(B.status == BroadcastStatus.SENDING.value)
_CANCELLED_OPEN = select(B.id).where(B.status == BroadcastStatus.CANCELLED.value, B.finished_at.is_(None))
_FINISH = update(broadcast_table).where(B.id == bindparam("bid")).values(finished_at=bindparam("now"))
_MARK_DONE = (
    update(broadcast_table)
    .where(B.id == bindparam("bid"), B.status == BroadcastStatus.SENDING.value)
    .values(status=BroadcastStatus.DONE.value, finished_at=bindparam("now"))
)


def finish_completed(tx: Tx, now: datetime) -> list[int]:
    """Sending broadcasts with no recipient left to try are done; cancelled ones get an end time."""
    finished = []
    for (broadcast_id,) in tx.all(_SENDING, {}):
        row = tx.first(_OPEN_ROWS, {"bid": broadcast_id})
        if row is not None and row[0] == 0 and tx.count(_MARK_DONE, {"bid": broadcast_id, "now": now}):
            finished.append(int(broadcast_id))
    for (broadcast_id,) in tx.all(_CANCELLED_OPEN, {}):
        tx.count(_FINISH, {"bid": broadcast_id, "now": now})
        finished.append(int(broadcast_id))
    return finished


_STATUSES = select(B.id, B.status).where(B.status != BroadcastStatus.DONE.value)


def open_statuses(tx: Tx) -> dict[int, str]:
    """The status of every broadcast not done, for senders to follow pauses and cancels."""
    return {int(bid): str(status) for bid, status in tx.all(_STATUSES, {})}


# -- the sender -----------------------------------------------------------------------------------

_RELEASE = (
    update(outbox_table)
    .where(O.platform == bindparam("platform"), O.status == OutboxStatus.CLAIMED.value)
    .values(status=OutboxStatus.PENDING.value, claim=None)
)
_CLAIMABLE = (
    select(O.id)
    .join(broadcast_table, B.id == O.broadcast_id)
    .where(
        O.platform == bindparam("platform"),
        O.status == OutboxStatus.PENDING.value,
        O.next_attempt_at <= bindparam("now"),
        B.status == BroadcastStatus.SENDING.value,
    )
    .order_by(O.id)
    .limit(bindparam("limit"))
    .with_for_update(of=outbox_table, skip_locked=True)
)
_CLAIM = (
    update(outbox_table)
    .where(O.id.in_(_CLAIMABLE.scalar_subquery()))
    .values(status=OutboxStatus.CLAIMED.value, claim=bindparam("claim"))
)
_CLAIMED = (
    select(O.id, O.broadcast_id, O.resident_id, O.attempts, R.user_id, R.chat_id, R.language)
    .join(resident_table, R.id == O.resident_id)
    .where(O.claim == bindparam("claim"))
    .order_by(O.id)
)
_RECORD = (
    update(outbox_table)
    .where(O.id == bindparam("oid"), O.status == OutboxStatus.CLAIMED.value)
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        next_attempt_at=bindparam("next_attempt_at"),
        sent_at=bindparam("sent_at"),
        claim=None,
    )
)
_STILL_CLAIMED = select(O.id).where(O.id == bindparam("oid"), O.status == OutboxStatus.CLAIMED.value)
_UNREACHABLE = update(resident_table).where(R.id == bindparam("rid")).values(unreachable_since=bindparam("now"))


def release_claims(tx: Tx, platform: str) -> int:
    """Hand back rows a sender took but did not finish (it stopped or died): they are due again."""
    return tx.count(_RELEASE, {"platform": platform})


def claim(tx: Tx, platform: str, limit: int, now: datetime) -> list[Claimed]:
    token = secrets.token_hex(8)
    tx.count(_CLAIM, {"platform": platform, "now": now, "limit": limit, "claim": token})
    return [Claimed(*row) for row in tx.all(_CLAIMED, {"claim": token})]


def still_claimed(tx: Tx, row_ids: list[int]) -> set[int]:
    """The rows among `row_ids` that are still claimed: a row erased with its resident is not."""
    return {oid for oid in row_ids if tx.first(_STILL_CLAIMED, {"oid": oid}) is not None}


def record(tx: Tx, results: list[Result], now: datetime) -> None:
    """Write what became of each send; residents who blocked the bot are marked unreachable."""
    params: list[dict[str, Any]] = [
        {
            "oid": r.id,
            "status": r.status.value,
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at,
            "sent_at": r.sent_at,
        }
        for r in results
    ]
    tx.count_many(_RECORD, params)
    blocked = [{"rid": r.resident_id, "now": now} for r in results if r.status is OutboxStatus.UNREACHABLE]
    if blocked:
        tx.count_many(_UNREACHABLE, blocked)


# -- progress messages ------------------------------------------------------------------------------


def needing_progress(tx: Tx, platform: str) -> list[BroadcastRecord]:
    """Broadcasts by authors on `platform` that have started and whose last figures were not final."""
    rows = tx.rows(
        select(*BROADCAST_COLUMNS)
        .where(B.author_platform == platform, B.started_at.is_not(None), B.progress_final.is_(False))
        .order_by(B.id)
    )
    return [BroadcastRecord(*row) for row in rows]


def set_progress(tx: Tx, broadcast_id: int, message_id: str | None, final: bool) -> None:
    tx.execute(
        update(broadcast_table).where(B.id == broadcast_id).values(progress_message=message_id, progress_final=final)
    )
