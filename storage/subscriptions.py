"""Residents' opt-in to news, and the audiences of broadcasts built from them.

A topic is ``city`` (news from the resident's own city, whichever it is now) or
``field:<id>`` (news about one Handlungsfeld). Nothing is subscribed by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, insert, select

from storage.models import resident_table, subscription_table
from storage.store import Tx

S = subscription_table.c
R = resident_table.c
CITY = "city"
NOT_BROADCAST = "console"
"""The platform that gets no broadcasts: the console is one person trying the bot locally."""

_TOPICS = select(S.topic).where(S.resident_id == bindparam("rid")).order_by(S.topic)
_HAS = select(S.topic).where(S.resident_id == bindparam("rid"), S.topic == bindparam("topic"))
_ADD = insert(subscription_table).values(
    resident_id=bindparam("rid"), topic=bindparam("topic"), created_at=bindparam("now")
)
_REMOVE = delete(subscription_table).where(S.resident_id == bindparam("rid"), S.topic == bindparam("topic"))
_REMOVE_ALL = delete(subscription_table).where(S.resident_id == bindparam("rid"))


def field_topic(field_id: str) -> str:
    return f"field:{field_id}"


def topics_of(tx: Tx, resident_id: int) -> list[str]:
    return [str(row[0]) for row in tx.all(_TOPICS, {"rid": resident_id})]


def toggle(tx: Tx, resident_id: int, topic: str, now: datetime) -> bool:
    """Subscribe, or unsubscribe if subscribed; True when now subscribed."""
    if tx.first(_HAS, {"rid": resident_id, "topic": topic}) is not None:
        tx.count(_REMOVE, {"rid": resident_id, "topic": topic})
        return False
    tx.count(_ADD, {"rid": resident_id, "topic": topic, "now": now})
    return True


def subscribe(tx: Tx, resident_id: int, topic: str, now: datetime) -> None:
    if tx.first(_HAS, {"rid": resident_id, "topic": topic}) is None:
        tx.count(_ADD, {"rid": resident_id, "topic": topic, "now": now})


def unsubscribe_all(tx: Tx, resident_id: int) -> int:
    return tx.count(_REMOVE_ALL, {"rid": resident_id})


def export(tx: Tx, resident_id: int) -> list[dict[str, str]]:
    rows = tx.rows(select(S.topic, S.created_at).where(S.resident_id == resident_id).order_by(S.topic))
    return [{"topic": topic, "subscribed_at": at.isoformat()} for topic, at in rows]


@dataclass(frozen=True)
class Audience:
    """Who a broadcast is for: all subscribers, one city's news, or one Handlungsfeld (in one city)."""

    city: str | None = None
    field: str | None = None

    def condition(self) -> Any:
        """Residents in this audience who can be reached; a WHERE clause on the resident table."""
        if self.field is not None:
            topic = S.topic == field_topic(self.field)
        elif self.city is not None:
            topic = S.topic == CITY
        else:
            topic = None
        subscribed = exists().where(S.resident_id == R.id)
        if topic is not None:
            subscribed = subscribed.where(topic)
        clauses = [subscribed, R.unreachable_since.is_(None), R.platform != NOT_BROADCAST]
        if self.city is not None:
            clauses.append(R.city == self.city)
        return clauses


def audience_size(tx: Tx, audience: Audience) -> int:
    """How many residents a broadcast to `audience` would reach now."""
    return int(tx.rows(select(func.count()).select_from(resident_table).where(*audience.condition()))[0][0])
