"""Per table: what it holds about a person, how that is exported and how it is erased.

Every table that can hold a platform identity (``platform`` + ``user_id``, a chat id, an
actor string such as ``telegram:123``, JSON with a sender) or a resident id registers one
`Rule` here. The data export and the erasure are both built from `RULES`, so the export
holds everything the erasure removes; tests/test_personal_data.py walks the schema and
fails for a table or column that can hold an identity and has no rule.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, or_, select, update

from storage import polls
from storage.models import (
    Role,
    action_token_table,
    audit_table,
    broadcast_table,
    broadcast_translation_table,
    conversation_table,
    dashboard_token_table,
    idea_table,
    outbox_table,
    pending_notice_table,
    pending_reply_table,
    platform_message_table,
    platform_state_table,
    poll_answer_table,
    poll_table,
    poll_translation_table,
    resident_table,
    role_grant_table,
    subscription_table,
    vote_table,
)
from storage.replies import forget as forget_replies
from storage.store import Tx

ERASED = "gelöschte Person"
"""What stands where an erased person was named (an audit entry, a decision, a broadcast's author)."""

NOT_PERSONAL = {
    "processed_event": "platform event ids, without the user who sent them; kept 7 days to drop redeliveries",
    "leitziel_choice": "how many residents of a city chose each Leitziel in the tour: counts, nobody's choice",
    "poll_tally": "how many chose each option of a poll, per city and platform: counts, never who",
}
"""Tables that hold no identity, and why; every other table has a rule."""


@dataclass(frozen=True, slots=True)
class Person:
    """Whose data: the resident row and the platform identity it stands for."""

    resident_id: int
    platform: str
    user_id: str
    chat_id: str

    @property
    def actor(self) -> str:
        """How the audit log, decisions and grants name this person."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Rule:
    table: Table
    columns: tuple[str, ...]
    """The columns that can name the person; export and erasure account for each of them."""
    export: Callable[[Tx, Person], list[dict[str, Any]]]
    """The rows about the person, every column of each (with extras where they help reading)."""
    erase: Callable[[Tx, Person], None]
    kept: str | None = None
    """Why erasure leaves these rows as they are, where it does."""


JSON_COLUMNS = frozenset({"context", "reply", "data"})


def _row(data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif key in JSON_COLUMNS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        result[key] = value
    return result


def _rows(tx: Tx, statement: Any) -> list[dict[str, Any]]:
    return [_row(row) for row in tx.mappings(statement)]


# -- the resident and what hangs on their id --------------------------------------------------

R = resident_table.c
C = conversation_table.c
I = idea_table.c  # noqa: E741 - reads like the table it stands for
V = vote_table.c
S = subscription_table.c
O = outbox_table.c  # noqa: E741
B = broadcast_table.c


def _export_resident(tx: Tx, person: Person) -> list[dict[str, Any]]:
    return _rows(tx, select(resident_table).where(R.id == person.resident_id))


def _erase_resident(tx: Tx, person: Person) -> None:
    tx.execute(delete(resident_table).where(R.id == person.resident_id))


MENU_STATE_KEYS = frozenset({"menu", "last_press"})
"""Context keys that only tell the engine which menu is on screen and which button was pressed
last (dialogs/conversation.py): nothing a person reads."""


def _export_conversation(tx: Tx, person: Person) -> list[dict[str, Any]]:
    """The conversation as its resident reads it: without the internal menu state."""
    rows = _rows(tx, select(conversation_table).where(C.resident_id == person.resident_id))
    for row in rows:
        if isinstance(row.get("context"), dict):
            row["context"] = {k: v for k, v in row["context"].items() if k not in MENU_STATE_KEYS}
    return rows


def _erase_conversation(tx: Tx, person: Person) -> None:
    tx.execute(delete(conversation_table).where(C.resident_id == person.resident_id))


def _export_votes(tx: Tx, person: Person) -> list[dict[str, Any]]:
    query = (
        select(*vote_table.c, I.title)
        .join(idea_table, I.id == V.idea_id)
        .where(V.resident_id == person.resident_id)
        .order_by(V.created_at)
    )
    return _rows(tx, query)


def _erase_votes(tx: Tx, person: Person) -> None:
    """Supports are withdrawn: the tallies go down with them.

    The ideas are locked lowest id first, like every path that locks several idea rows
    (storage/moderation.py `lock_ideas`); the votes are then taken as they are under the locks,
    after any merge that moved them meanwhile.
    """
    supported = select(V.idea_id).where(V.resident_id == person.resident_id)
    tx.rows(select(I.id).where(I.id.in_(supported)).order_by(I.id).with_for_update())
    withdrawn = tx.rows(delete(vote_table).where(V.resident_id == person.resident_id).returning(V.idea_id))
    for (idea_id,) in withdrawn:
        tx.execute(update(idea_table).where(I.id == idea_id).values(support_count=I.support_count - 1))


def _ideas_of(person: Person) -> Any:
    return or_(I.author_id == person.resident_id, I.decided_by == person.actor)


def _export_ideas(tx: Tx, person: Person) -> list[dict[str, Any]]:
    """Ideas they submitted (with the reason of a rejection) and ideas they decided on as moderators."""
    return _rows(tx, select(idea_table).where(_ideas_of(person)).order_by(I.id))


def _erase_ideas(tx: Tx, person: Person) -> None:
    """Ideas stay, without their author; a decision stays, without who made it."""
    tx.execute(update(idea_table).where(I.author_id == person.resident_id).values(author_id=None))
    tx.execute(update(idea_table).where(I.decided_by == person.actor).values(decided_by=ERASED))


def _export_subscriptions(tx: Tx, person: Person) -> list[dict[str, Any]]:
    return _rows(tx, select(subscription_table).where(S.resident_id == person.resident_id).order_by(S.topic))


def _erase_subscriptions(tx: Tx, person: Person) -> None:
    tx.execute(delete(subscription_table).where(S.resident_id == person.resident_id))


def _export_received(tx: Tx, person: Person) -> list[dict[str, Any]]:
    """The broadcasts sent (or to be sent) to them, with their text."""
    query = (
        select(*outbox_table.c, B.text)
        .join(broadcast_table, B.id == O.broadcast_id)
        .where(O.resident_id == person.resident_id)
        .order_by(O.id)
    )
    return _rows(tx, query)


def _erase_received(tx: Tx, person: Person) -> None:
    tx.execute(delete(outbox_table).where(O.resident_id == person.resident_id))


# -- what names the platform identity -----------------------------------------------------------

A = audit_table.c
G = role_grant_table.c


def _about(person: Person) -> Any:
    """Audit entries whose object is the person: ``telegram:123`` or ``telegram:123:moderator:aalen``."""
    return or_(A.object == person.actor, A.object.startswith(f"{person.actor}:", autoescape=True))


def _names_person(obj: str, person: Person) -> str | None:
    """The rest of an audit object after the person's identity ("" for the identity alone), or None."""
    if obj == person.actor:
        return ""
    rest = obj.removeprefix(f"{person.actor}:")
    role, sep, _city = rest.partition(":")
    if rest != obj and sep and role in {r.value for r in Role}:
        return f":{rest}"
    return None


def _export_audit(tx: Tx, person: Person) -> list[dict[str, Any]]:
    """What they did with a role, and what was done to them (a grant, a bar with its reason)."""
    rows = _rows(tx, select(audit_table).where(or_(A.actor == person.actor, _about(person))).order_by(A.id))
    return [r for r in rows if r["actor"] == person.actor or _names_person(r["object"], person) is not None]


def _erase_audit(tx: Tx, person: Person) -> None:
    """The log keeps that something happened, no longer who did it or to whom, nor a reason about them."""
    tx.execute(update(audit_table).where(A.actor == person.actor).values(actor=ERASED))
    for entry_id, obj in tx.rows(select(A.id, A.object).where(_about(person))):
        rest = _names_person(obj, person)
        if rest is not None:
            tx.execute(update(audit_table).where(A.id == entry_id).values(object=ERASED + rest, reason=None))


def _export_grants(tx: Tx, person: Person) -> list[dict[str, Any]]:
    """Their roles, and the roles they gave others."""
    mine = (G.platform == person.platform) & (G.user_id == person.user_id)
    return _rows(tx, select(role_grant_table).where(or_(mine, G.granted_by == person.actor)).order_by(G.id))


def _erase_grants(tx: Tx, person: Person) -> None:
    tx.execute(delete(role_grant_table).where(G.platform == person.platform, G.user_id == person.user_id))
    tx.execute(update(role_grant_table).where(G.granted_by == person.actor).values(granted_by=ERASED))


def _export_authored(tx: Tx, person: Person) -> list[dict[str, Any]]:
    query = select(broadcast_table).where(B.author_platform == person.platform, B.author_user_id == person.user_id)
    return _rows(tx, query.order_by(B.id))


def _erase_authored(tx: Tx, person: Person) -> None:
    """A broadcast stays (its residents received it), without its author; no progress is reported any more."""
    tx.execute(
        update(broadcast_table)
        .where(B.author_platform == person.platform, B.author_user_id == person.user_id)
        .values(author_user_id=ERASED, author_chat_id="", progress_message=None, progress_final=True)
    )


def _export_authored_translations(tx: Tx, person: Person) -> list[dict[str, Any]]:
    """The other-language texts of the broadcasts they wrote."""
    T = broadcast_translation_table.c
    authored = select(B.id).where(B.author_platform == person.platform, B.author_user_id == person.user_id)
    query = select(broadcast_translation_table).where(T.broadcast_id.in_(authored.scalar_subquery()))
    return _rows(tx, query.order_by(T.broadcast_id, T.language))


def _keep(tx: Tx, person: Person) -> None:
    return None


PL = poll_table.c


def _export_poll_answers(tx: Tx, person: Person) -> list[dict[str, Any]]:
    """Their answers, with each poll's question and the options they chose."""
    return polls.answers_of(tx, person.resident_id)


def _erase_poll_answers(tx: Tx, person: Person) -> None:
    """The answers go; the counts per option, city and platform stay (they name no one)."""
    polls.erase_answers(tx, person.resident_id)


def _export_polls(tx: Tx, person: Person) -> list[dict[str, Any]]:
    query = select(poll_table).where(PL.author_platform == person.platform, PL.author_user_id == person.user_id)
    return _rows(tx, query.order_by(PL.id))


def _export_poll_translations(tx: Tx, person: Person) -> list[dict[str, Any]]:
    """The other-language texts of the polls they wrote."""
    T = poll_translation_table.c
    authored = select(PL.id).where(PL.author_platform == person.platform, PL.author_user_id == person.user_id)
    query = select(poll_translation_table).where(T.poll_id.in_(authored.scalar_subquery()))
    return _rows(tx, query.order_by(T.poll_id, T.language))


def _erase_polls(tx: Tx, person: Person) -> None:
    """A poll stays (residents answered it), without its author."""
    tx.execute(
        update(poll_table)
        .where(PL.author_platform == person.platform, PL.author_user_id == person.user_id)
        .values(author_user_id=ERASED, author_chat_id="")
    )


def _by_identity(table: Table, order: str) -> tuple[Callable[[Tx, Person], list[dict[str, Any]]], Any]:
    """Export and erasure of a table whose rows belong to one `platform` + `user_id`."""
    c = table.c

    def export(tx: Tx, person: Person) -> list[dict[str, Any]]:
        where = (c.platform == person.platform) & (c.user_id == person.user_id)
        return _rows(tx, select(table).where(where).order_by(c[order]))

    def erase(tx: Tx, person: Person) -> None:
        tx.execute(delete(table).where(c.platform == person.platform, c.user_id == person.user_id))

    return export, erase


_export_action_tokens, _erase_action_tokens = _by_identity(action_token_table, "created_at")
_export_dashboard_tokens, _erase_dashboard_tokens = _by_identity(dashboard_token_table, "expires_at")
_export_notices, _erase_notices = _by_identity(pending_notice_table, "id")
_export_replies, _ = _by_identity(pending_reply_table, "id")


def _erase_replies(tx: Tx, person: Person) -> None:
    """Replies not yet delivered are not sent any more (the engine keeps the deletion's own confirmation after)."""
    forget_replies(tx, person.platform, person.user_id)


M = platform_message_table.c


def _messages_from(tx: Tx, person: Person) -> list[dict[str, Any]]:
    """What an adapter remembers as sent by or to the person (a Matrix reaction with its sender, a
    WhatsApp notification with its recipient, kept until WhatsApp reports it delivered or failed)."""
    query = select(platform_message_table).where(
        M.platform == person.platform, M.data.contains(json.dumps(person.user_id), autoescape=True)
    )
    return [
        row
        for row in _rows(tx, query)
        if isinstance(row["data"], dict) and person.user_id in (row["data"].get("sender"), row["data"].get("recipient"))
    ]


def _export_messages(tx: Tx, person: Person) -> list[dict[str, Any]]:
    return _messages_from(tx, person)


def _erase_messages(tx: Tx, person: Person) -> None:
    for row in _messages_from(tx, person):
        tx.execute(
            delete(platform_message_table).where(M.platform == person.platform, M.message_id == row["message_id"])
        )


P = platform_state_table.c


def _chat_keys(person: Person) -> Any:
    """Values an adapter keeps per chat (the options last shown in a Matrix room) end with the chat id."""
    return P.key.endswith(f":{person.chat_id}", autoescape=True)


def _export_chat_state(tx: Tx, person: Person) -> list[dict[str, Any]]:
    if not person.chat_id:
        return []
    return _rows(tx, select(platform_state_table).where(_chat_keys(person)).order_by(P.key))


def _erase_chat_state(tx: Tx, person: Person) -> None:
    if person.chat_id:
        tx.execute(delete(platform_state_table).where(_chat_keys(person)))


RULES: tuple[Rule, ...] = (
    Rule(vote_table, ("resident_id",), _export_votes, _erase_votes),
    Rule(poll_answer_table, ("resident_id",), _export_poll_answers, _erase_poll_answers),
    Rule(poll_table, ("author_user_id", "author_chat_id", "question", "options"), _export_polls, _erase_polls),
    Rule(
        poll_translation_table,
        ("question", "options"),
        _export_poll_translations,
        _keep,
        kept="a poll's text in another language stays with the poll, which no longer names its author",
    ),
    Rule(subscription_table, ("resident_id",), _export_subscriptions, _erase_subscriptions),
    Rule(outbox_table, ("resident_id",), _export_received, _erase_received),
    Rule(conversation_table, ("resident_id", "context"), _export_conversation, _erase_conversation),
    Rule(
        idea_table,
        ("author_id", "decided_by", "description", "decision_reason", "progress_reason"),
        _export_ideas,
        _erase_ideas,
    ),
    Rule(audit_table, ("actor", "object", "reason"), _export_audit, _erase_audit),
    Rule(role_grant_table, ("user_id", "granted_by"), _export_grants, _erase_grants),
    Rule(broadcast_table, ("author_user_id", "author_chat_id", "text"), _export_authored, _erase_authored),
    Rule(
        broadcast_translation_table,
        ("text",),
        _export_authored_translations,
        _keep,
        kept="a broadcast's text in another language stays with the broadcast, which no longer names its author",
    ),
    Rule(action_token_table, ("user_id",), _export_action_tokens, _erase_action_tokens),
    Rule(dashboard_token_table, ("user_id",), _export_dashboard_tokens, _erase_dashboard_tokens),
    Rule(pending_notice_table, ("user_id", "reply"), _export_notices, _erase_notices),
    Rule(pending_reply_table, ("user_id", "chat_id", "reply"), _export_replies, _erase_replies),
    Rule(platform_message_table, ("data",), _export_messages, _erase_messages),
    Rule(platform_state_table, ("key", "value"), _export_chat_state, _erase_chat_state),
    Rule(resident_table, ("user_id", "chat_id", "barred_reason"), _export_resident, _erase_resident),
)
"""In the order erasure runs: the resident row goes last, once nothing refers to it."""


def person(tx: Tx, resident_id: int) -> Person | None:
    rows = tx.rows(select(R.platform, R.user_id, R.chat_id).where(R.id == resident_id))
    return Person(resident_id, *rows[0]) if rows else None


def export(tx: Tx, who: Person) -> dict[str, list[dict[str, Any]]]:
    """Everything stored about one person, per table, as JSON-ready data."""
    return {rule.table.name: rule.export(tx, who) for rule in RULES}


def erase(tx: Tx, who: Person) -> None:
    """Remove the person from every table: rows about them go, rows that record what happened forget them."""
    for rule in RULES:
        rule.erase(tx, who)


def erase_resident(tx: Tx, resident_id: int) -> bool:
    """Erase by resident id (retention, checks); False when there is no such resident."""
    who = person(tx, resident_id)
    if who is None:
        return False
    erase(tx, who)
    return True
