"""Replies kept in the store from the event's transaction until a platform took them.

The engine writes every reply of an event in the same transaction as the event itself, so
a reply the store promised cannot be lost in a crash: the process that wrote it sends it
and then settles it; if that process dies first, another one takes its rows over.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update

from storage.models import pending_reply_table
from storage.store import Tx

P = pending_reply_table.c

_INSERT = (
    insert(pending_reply_table)
    .values(
        {
            name: bindparam(name)
            for name in ("token", "platform", "user_id", "chat_id", "reply", "worker", "attempts", "created_at")
        }
    )
    .returning(P.id)
)
_SETTLE = delete(pending_reply_table).where(P.id == bindparam("id"))
_TAKE = update(pending_reply_table).where(P.id == bindparam("id")).values(due_at=None, worker=bindparam("worker"))
_HAND_OUT = (
    update(pending_reply_table)
    .where(P.id == bindparam("id"))
    .values(due_at=None, worker=bindparam("worker"), attempts=P.attempts + 1)
)
_WAIT = update(pending_reply_table).where(P.token == bindparam("token")).values(due_at=bindparam("now"))


@dataclass(frozen=True, slots=True)
class KeptReply:
    id: int
    token: str
    platform: str
    user_id: str
    chat_id: str
    reply: dict[str, Any]
    attempts: int


_COLUMNS = (P.id, P.token, P.platform, P.user_id, P.chat_id, P.reply, P.attempts)


def _kept(row: tuple[Any, ...]) -> KeptReply:
    rid, token, platform, user_id, chat_id, reply, attempts = row
    return KeptReply(rid, token, platform, user_id, chat_id, dict(json.loads(reply)), attempts)


def keep(
    tx: Tx, platform: str, user_id: str, chat_id: str, reply: dict[str, Any], worker: str, now: datetime
) -> tuple[int, str]:
    """Keep one reply for `worker` to send now; returns its id and token."""
    token = secrets.token_hex(16)
    params = {
        "token": token,
        "platform": platform,
        "user_id": user_id,
        "chat_id": chat_id,
        "reply": json.dumps(reply, ensure_ascii=False),
        "worker": worker,
        "attempts": 0,
        "created_at": now,
    }
    row = tx.first(_INSERT, params)
    assert row is not None
    return int(row[0]), token


def settle(tx: Tx, reply_id: int) -> None:
    """The platform took the reply (or can never take it): forget it."""
    tx.count(_SETTLE, {"id": reply_id})


def settle_for(tx: Tx, token: str, platform: str, user_id: str) -> bool:
    """A recipient confirms a reply by its token; only one addressed to them counts (it comes from a client)."""
    changed = tx.execute(
        delete(pending_reply_table).where(P.token == token, P.platform == platform, P.user_id == user_id)
    )
    return changed > 0


def forget(tx: Tx, platform: str, user_id: str) -> int:
    """Erasure: replies still waiting for someone whose data is deleted are not sent any more."""
    return tx.execute(delete(pending_reply_table).where(P.platform == platform, P.user_id == user_id))


def retry_later(tx: Tx, reply_id: int, now: datetime) -> bool:
    """Try again later; after the last of `RETRY_DELAYS` the reply is dropped (False)."""
    row = tx.rows(select(P.attempts).where(P.id == reply_id))
    if not row:
        return True
    attempts = int(row[0][0])
    if attempts >= len(RETRY_DELAYS):
        settle(tx, reply_id)
        return False
    due = now + RETRY_DELAYS[attempts]
    tx.execute(update(pending_reply_table).where(P.id == reply_id).values(due_at=due, attempts=attempts + 1))
    return True


def wait_for_recipient(tx: Tx, tokens: list[str], now: datetime) -> None:
    """Sent to a page that closed before confirming: handed out again when the recipient is back."""
    tx.count_many(_WAIT, [{"token": token, "now": now} for token in tokens])


ANY_WORKER = "*"
"""The worker of a reply handed over to whichever worker runs its platform (bot/delivery.py)."""


def workers_other_than(tx: Tx, worker: str) -> list[str]:
    others = select(P.worker).where(P.worker != worker, P.worker != ANY_WORKER).distinct()
    return [w for (w,) in tx.rows(others)]


def take_over(tx: Tx, dead_worker: str, now: datetime, created_before: datetime) -> int:
    """Rows of a worker that died (those kept before `created_before`): due now, for any worker that runs
    their platform (with several workers, only one of them may run Matrix)."""
    query = update(pending_reply_table).where(P.worker == dead_worker, P.created_at <= created_before)
    return tx.execute(query.values(worker=ANY_WORKER, due_at=now))


def hand_over(tx: Tx, reply_id: int, now: datetime) -> None:
    """A reply for a platform another worker runs (Matrix has one syncing worker): that worker sends it."""
    tx.execute(update(pending_reply_table).where(P.id == reply_id).values(worker=ANY_WORKER, due_at=now))


def due(tx: Tx, worker: str, now: datetime, platforms: tuple[str, ...], limit: int = 200) -> list[KeptReply]:
    """Rows this worker is due to try again, oldest first: its own, and those handed over for its platforms."""
    query = (
        select(*_COLUMNS)
        .where(
            or_(P.worker == worker, P.worker == ANY_WORKER),
            P.due_at <= now,
            or_(*(P.platform == platform for platform in platforms)),
        )
        .order_by(P.id)
        .limit(limit)
    )
    rows = tx.rows(query)
    # taken out of the due list while they are tried; a failure schedules them again
    tx.count_many(_TAKE, [{"id": row[0], "worker": worker} for row in rows])
    return [_kept(row) for row in rows]


WAITING_KEPT = 20
"""Replies kept for a recipient who is away: the newest ones; a newer menu supersedes older ones."""
HAND_OUTS = 3
"""A reply handed out this often and never confirmed (a page that does not confirm) is dropped."""


def take_due_for(tx: Tx, platform: str, user_id: str, worker: str) -> list[KeptReply]:
    """A recipient is back (a page reconnected): their newest replies that wait for another attempt."""
    waiting = (P.platform == platform, P.user_id == user_id, P.due_at.is_not(None))
    rows = tx.rows(select(*_COLUMNS).where(*waiting).order_by(P.id.desc()).limit(WAITING_KEPT))
    if not rows:
        return []
    tx.execute(delete(pending_reply_table).where(*waiting, P.id < rows[-1][0]))
    kept = [_kept(row) for row in reversed(rows)]
    given_up = [reply.id for reply in kept if reply.attempts >= HAND_OUTS]
    tx.count_many(_SETTLE, [{"id": reply_id} for reply_id in given_up])
    handed = [reply for reply in kept if reply.attempts < HAND_OUTS]
    tx.count_many(_HAND_OUT, [{"id": reply.id, "worker": worker} for reply in handed])
    return handed


def give_up(tx: Tx, before: datetime) -> int:
    """Replies waiting since before `before` are dropped: the resident sees the menu anew when back."""
    return tx.execute(delete(pending_reply_table).where(P.created_at < before))


RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (5, 15, 60, 300, 900, 3600))
"""After a failed send: when to try again. After the last, the reply is dropped."""
