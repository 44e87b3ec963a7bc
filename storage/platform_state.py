"""What adapters keep between runs: small named values, and facts about messages."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, Text, bindparam, delete, exists, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage import wakeups
from storage.models import (
    conversation_table,
    pending_notice_table,
    platform_message_table,
    platform_state_table,
    resident_table,
)
from storage.store import Store, Tx

S = platform_state_table.c
M = platform_message_table.c
_GET = select(S.value).where(S.key == bindparam("key"))
_SET = update(platform_state_table).where(S.key == bindparam("key")).values(value=bindparam("value"))
_GET_MESSAGE = select(M.data).where(M.platform == bindparam("platform"), M.message_id == bindparam("message_id"))


_R = resident_table.c
_C = conversation_table.c
_LAST_MESSAGE = (
    select(_C.updated_at)
    .join(resident_table, _R.id == _C.resident_id)
    .where(_R.platform == bindparam("platform"), _R.user_id == bindparam("user_id"))
)


def last_message_at(store: Store, platform: str, user_id: str, key: str) -> tuple[datetime | None, str | None]:
    """When the person last wrote to the bot (the engine saves their conversation with each of their
    events, and with nothing else; None for someone the bot does not know), and the value under `key`."""

    def read(tx: Tx) -> tuple[datetime | None, str | None]:
        row = tx.first(_LAST_MESSAGE, {"platform": platform, "user_id": user_id})
        value = tx.first(_GET, {"key": key})
        return (row[0] if row else None), (str(value[0]) if value else None)

    return store.read(read)


def get_value(store: Store, key: str) -> str | None:
    row = store.run(lambda tx: tx.first(_GET, {"key": key}))
    return str(row[0]) if row else None


def set_value(store: Store, key: str, value: str) -> None:
    def work(tx: Tx) -> None:
        if tx.count(_SET, {"key": key, "value": value}) == 0:
            tx.execute(insert(platform_state_table).values(key=key, value=value))

    store.run(work)


def set_value_for(store: Store, platform: str, user_id: str, key: str, value: str) -> bool:
    """`set_value`, only while the person is known: a platform's late report on someone erased
    meanwhile leaves nothing about them. False when nothing was stored."""
    known = exists().where(_R.platform == platform, _R.user_id == user_id)

    def work(tx: Tx) -> bool:
        if tx.execute(update(platform_state_table).where(S.key == key, known).values(value=value)):
            return True
        row = select(literal(key, String), literal(value, Text)).where(known)
        return bool(tx.execute(insert(platform_state_table).from_select(["key", "value"], row)))

    return store.run(work)


def keep_first_value(store: Store, key: str, value: str) -> str:
    """Store `value` under `key` unless a value is there already; returns the value that stays.

    Several processes starting at once on one database all end up with the first one's value.
    """

    def work(tx: Tx) -> str:
        module = postgresql if tx.dialect == "postgresql" else sqlite
        tx.execute(module.insert(platform_state_table).values(key=key, value=value).on_conflict_do_nothing())
        row = tx.first(_GET, {"key": key})
        assert row is not None
        return str(row[0])

    return store.run(work)


def remember_message(store: Store, platform: str, message_id: str, data: dict[str, Any], now: datetime) -> None:
    def work(tx: Tx) -> None:
        tx.execute(delete(platform_message_table).where(M.platform == platform, M.message_id == message_id))
        tx.execute(
            insert(platform_message_table).values(
                platform=platform, message_id=message_id, data=json.dumps(data), created_at=now
            )
        )

    store.run(work)


def remember_message_for(
    store: Store, platform: str, user_id: str, message_id: str, data: dict[str, Any], now: datetime
) -> bool:
    """`remember_message` about a message to a person, only while they are known (the check and the
    insert are one statement, as in `keep_notice`). False when nothing was stored."""
    row = select(
        literal(platform, String),
        literal(message_id, String),
        literal(json.dumps(data), Text),
        literal(now, DateTime(timezone=True)),
    ).where(exists().where(_R.platform == platform, _R.user_id == user_id))
    columns = ["platform", "message_id", "data", "created_at"]
    return bool(store.run(lambda tx: tx.execute(insert(platform_message_table).from_select(columns, row))))


def recall_message(store: Store, platform: str, message_id: str) -> dict[str, Any] | None:
    row = store.run(lambda tx: tx.first(_GET_MESSAGE, {"platform": platform, "message_id": message_id}))
    return dict(json.loads(row[0])) if row else None


def take_message(store: Store, platform: str, message_id: str) -> dict[str, Any] | None:
    """What was remembered about a message, removed at once: of two takers (a status webhook delivered
    twice), only one gets it."""

    def work(tx: Tx) -> dict[str, Any] | None:
        row = tx.first(_GET_MESSAGE, {"platform": platform, "message_id": message_id})
        if row is None:
            return None
        where = (M.platform == platform, M.message_id == message_id)
        taken = tx.execute(delete(platform_message_table).where(*where))
        return dict(json.loads(row[0])) if taken == 1 else None

    return store.run(work)


def keep_notice(
    store: Store, platform: str, user_id: str, reply: dict[str, Any], now: datetime, wake: str | None = None
) -> bool:
    """Keep a notice for someone's next visit; not for someone who no longer exists (erased meanwhile).

    False when nothing was kept. The check and the insert are one statement, so an erasure
    cannot slip in between. With `wake` (a channel of storage/wakeups.py), every worker process
    hears of it when it is stored, so one that has the person's page open hands it out at once.
    """
    R = resident_table.c
    values = select(
        literal(platform, String),
        literal(user_id, String),
        literal(json.dumps(reply, ensure_ascii=False), Text),
        literal(now, DateTime(timezone=True)),
    ).where(exists().where(R.platform == platform, R.user_id == user_id))
    columns = ["platform", "user_id", "reply", "created_at"]

    def work(tx: Tx) -> bool:
        kept = bool(tx.execute(insert(pending_notice_table).from_select(columns, values)))
        if kept and wake is not None:
            wakeups.notify(tx, wake, wakeups.who(user_id))
        return kept

    return store.run(work)


def take_notices(store: Store, platform: str, user_id: str) -> list[dict[str, Any]]:
    """The notices kept for someone, oldest first; they are removed as they are handed out."""
    P = pending_notice_table.c

    def work(tx: Tx) -> list[dict[str, Any]]:
        rows = tx.rows(select(P.id, P.reply).where(P.platform == platform, P.user_id == user_id).order_by(P.id))
        if rows:
            tx.execute(delete(pending_notice_table).where(P.platform == platform, P.user_id == user_id))
        return [dict(json.loads(reply)) for _id, reply in rows]

    return store.run(work)
