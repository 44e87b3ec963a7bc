"""Quick polls: the poll, each resident's one answer, and the counts that outlive the answers.

A pushed poll is a broadcast with answer buttons: its question goes out through the outbox
(storage/outbox.py) like any message, and so does its result when it closes. An answer is
one row per resident and poll (the primary key), changed under the poll's row lock, and the
counts per option, city and platform (`poll_tally`) change in the same transaction: so the
counts equal the stored answers, and closing cannot slip in between the check and the answer.
Erasing a resident removes their answers; the counts stay, as they name no one.

Staff may write a poll in further languages (`poll_translation`): the question and the options
in the poll's order. An answer is an option's index, so answers in every language count together.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    exists,
    false,
    insert,
    literal,
    or_,
    select,
    update,
)

from storage import outbox
from storage.models import (
    BroadcastStatus,
    OutboxStatus,
    PollStatus,
    broadcast_table,
    outbox_table,
    poll_answer_table,
    poll_table,
    poll_tally_table,
    poll_translation_table,
    resident_table,
)
from storage.store import Tx
from storage.subscriptions import NOT_BROADCAST, Audience

P = poll_table.c
A = poll_answer_table.c
T = poll_tally_table.c
O = outbox_table.c  # noqa: E741 - reads like the table it stands for
R = resident_table.c
B = broadcast_table.c
W = poll_translation_table.c
RESPONDENTS = -1
"""The tally's option that counts residents who answered at all (the base of every share)."""
NO_CITY = "-"


@dataclass(frozen=True, slots=True)
class PollRecord:
    id: int
    author_platform: str
    author_user_id: str
    author_chat_id: str
    author_language: str
    question: str
    options: list[str]
    multiple: bool
    audience_city: str | None
    audience_field: str | None
    in_menu: bool
    show_interim: bool
    tell_answerers: bool
    status: str
    opens_at: datetime
    closes_at: datetime
    created_at: datetime
    closed_at: datetime | None
    broadcast_id: int | None
    result_broadcast_id: int | None

    @property
    def is_open(self) -> bool:
        return self.status == PollStatus.OPEN.value

    @property
    def audience(self) -> Audience:
        return Audience(self.audience_city, self.audience_field)


_COLUMNS = tuple(getattr(P, name) for name in PollRecord.__dataclass_fields__)


def _record(row: tuple[Any, ...]) -> PollRecord:
    values = [_aware(value) for value in row]
    values[6] = _options(values[6])
    return PollRecord(*values)


def _aware(value: Any) -> Any:
    """SQLite gives times back without their zone; the store keeps UTC."""
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


@dataclass(frozen=True, slots=True)
class Wording:
    """A poll's question and options in one language, as staff wrote them."""

    language: str
    question: str
    options: list[str]


@dataclass(frozen=True, slots=True)
class Totals:
    """A poll's counts: how many answered, and how many chose each option."""

    respondents: int
    counts: list[int]

    def share(self, option: int) -> int:
        """The percentage of respondents who chose `option`, rounded."""
        return round(100 * self.counts[option] / self.respondents) if self.respondents else 0


# -- composing and reading ----------------------------------------------------------------------


def create_poll(
    tx: Tx,
    *,
    author: tuple[str, str, str, str],
    question: str,
    options: list[str],
    multiple: bool,
    audience: Audience,
    in_menu: bool,
    show_interim: bool,
    tell_answerers: bool,
    opens_at: datetime,
    closes_at: datetime,
    now: datetime,
    translations: dict[str, tuple[str, list[str]]] | None = None,
) -> int:
    """A poll; unless it is `in_menu`, its question is a broadcast sent at `opens_at`.

    `translations` are the same poll in other languages (language code → question and options,
    as many options as `options`, in the same order), as staff wrote them.
    """
    platform, user_id, chat_id, language = author
    for code, (_question, translated) in (translations or {}).items():
        if code == language or len(translated) != len(options):
            raise ValueError(f"the poll's text in {code!r} does not match the poll")
    values = {
        "author_platform": platform,
        "author_user_id": user_id,
        "author_chat_id": chat_id,
        "author_language": language,
        "question": question,
        "options": json.dumps(options, ensure_ascii=False),
        "multiple": multiple,
        "audience_city": audience.city,
        "audience_field": audience.field,
        "in_menu": in_menu,
        "show_interim": show_interim,
        "tell_answerers": tell_answerers,
        "status": PollStatus.OPEN.value,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "created_at": now,
    }
    poll_id = int(tx.rows(insert(poll_table).values(values).returning(P.id))[0][0])
    for code, (translated_question, translated_options) in (translations or {}).items():
        row = {
            "poll_id": poll_id,
            "language": code,
            "question": translated_question,
            "options": json.dumps(translated_options, ensure_ascii=False),
        }
        tx.execute(insert(poll_translation_table).values(row))
    if not in_menu:
        broadcast_id = outbox.create_broadcast(
            tx,
            author=author,
            text=question,
            audience=audience,
            idea_id=None,
            button=None,
            send_at=opens_at,
            now=now,
            poll_id=poll_id,
        )
        tx.execute(update(poll_table).where(P.id == poll_id).values(broadcast_id=broadcast_id))
    return poll_id


def get(tx: Tx, poll_id: int) -> PollRecord | None:
    rows = tx.rows(select(*_COLUMNS).where(P.id == poll_id))
    return _record(rows[0]) if rows else None


def translations(tx: Tx, poll_id: int) -> dict[str, Wording]:
    """The poll in the other languages staff wrote it in, by language code."""
    rows = tx.rows(select(W.language, W.question, W.options).where(W.poll_id == poll_id))
    return {str(code): Wording(str(code), str(question), _options(options)) for code, question, options in rows}


def wording(tx: Tx, poll: PollRecord, language: str) -> Wording:
    """The poll in `language` where staff wrote it so, else as written (its `language` then differs)."""
    if language != poll.author_language:
        query = select(W.question, W.options).where(W.poll_id == poll.id, W.language == language)
        rows = tx.rows(query)
        if rows and len(options := _options(rows[0][1])) == len(poll.options):
            return Wording(language, str(rows[0][0]), options)
    return Wording(poll.author_language, poll.question, poll.options)


def _options(stored: str) -> list[str]:
    return [str(option) for option in json.loads(stored)]


def lock(tx: Tx, poll_id: int) -> PollRecord | None:
    """Read a poll and hold its row until the transaction ends (answers and closing take it)."""
    rows = tx.rows(select(*_COLUMNS).where(P.id == poll_id).with_for_update())
    return _record(rows[0]) if rows else None


def recent(tx: Tx, limit: int = 10) -> list[PollRecord]:
    """Open polls first, then the most recently closed."""
    open_first = (P.status == PollStatus.OPEN.value).desc()
    return [_record(row) for row in tx.rows(select(*_COLUMNS).order_by(open_first, P.id.desc()).limit(limit))]


_OPEN_FOR = (
    select(*_COLUMNS)
    .where(
        P.status == PollStatus.OPEN.value,
        P.opens_at <= bindparam("now"),
        or_(
            and_(P.in_menu.is_(True), or_(P.audience_city.is_(None), P.audience_city == bindparam("city"))),
            exists().where(O.broadcast_id == P.broadcast_id, O.resident_id == bindparam("resident_id")),
        ),
    )
    .order_by(P.closes_at, P.id)
)
"""Compiled once: the main menu asks it on every visit."""


def open_for(tx: Tx, resident_id: int, city: str | None, now: datetime) -> list[PollRecord]:
    """The open polls a resident may answer: those in the menu for their city, and those sent to them."""
    params = {"now": now, "city": city, "resident_id": resident_id}
    return [_record(row) for row in tx.all(_OPEN_FOR, params)]


def may_answer(tx: Tx, poll: PollRecord, resident_id: int, city: str | None, now: datetime) -> bool:
    """Whether the poll was shown to this resident: never trust a poll number a client sent."""
    if poll.opens_at > now:
        return False
    if poll.in_menu:
        return poll.audience_city is None or poll.audience_city == city
    received = select(O.id).where(O.broadcast_id == poll.broadcast_id, O.resident_id == resident_id)
    return bool(tx.rows(received.limit(1)))


# -- answering ------------------------------------------------------------------------------------


def choices_of(tx: Tx, poll_id: int, resident_id: int) -> int:
    """The options a resident chose, as a bit set (0: not answered)."""
    rows = tx.rows(select(A.choices).where(A.poll_id == poll_id, A.resident_id == resident_id))
    return int(rows[0][0]) if rows else 0


def set_choices(
    tx: Tx, poll: PollRecord, resident_id: int, city: str | None, platform: str, choices: int, now: datetime
) -> None:
    """Store a resident's answer (0 takes it back) and move the counts with it.

    The caller holds the poll's row (`lock`) and has checked that it is open. The counts of
    a changed answer move in the cell the first answer was counted in, even if the resident
    has since moved to another city.
    """
    rows = tx.rows(select(A.choices, A.city, A.platform).where(A.poll_id == poll.id, A.resident_id == resident_id))
    old, cell = (int(rows[0][0]), (rows[0][1], rows[0][2])) if rows else (0, (city or NO_CITY, platform))
    if old == choices:
        return
    for option in range(len(poll.options)):
        delta = (choices >> option & 1) - (old >> option & 1)
        if delta:
            _bump(tx, poll.id, option, cell, delta)
    if bool(choices) != bool(old):
        _bump(tx, poll.id, RESPONDENTS, cell, 1 if choices else -1)
    key = and_(A.poll_id == poll.id, A.resident_id == resident_id)
    if not choices:
        tx.execute(delete(poll_answer_table).where(key))
    elif not old:
        values = {"poll_id": poll.id, "resident_id": resident_id, "choices": choices, "answered_at": now}
        tx.execute(insert(poll_answer_table).values(**values, city=cell[0], platform=cell[1]))
    else:
        tx.execute(update(poll_answer_table).where(key).values(choices=choices, answered_at=now))


def _bump(tx: Tx, poll_id: int, option: int, cell: tuple[str, str], delta: int) -> None:
    city, platform = cell
    key = and_(T.poll_id == poll_id, T.option == option, T.city == city, T.platform == platform)
    if not tx.execute(update(poll_tally_table).where(key).values(count=T.count + delta)) and delta > 0:
        values = {"poll_id": poll_id, "option": option, "city": city, "platform": platform, "count": delta}
        tx.execute(insert(poll_tally_table).values(values))


# -- counts ------------------------------------------------------------------------------------------


def cells(tx: Tx, poll_id: int) -> list[tuple[int, str, str, int]]:
    """Every count: (option, city, platform, count); option `RESPONDENTS` counts who answered."""
    query = (
        select(T.option, T.city, T.platform, T.count).where(T.poll_id == poll_id).order_by(T.option, T.city, T.platform)
    )
    return [(int(o), str(c), str(p), int(n)) for o, c, p, n in tx.rows(query)]


def totals(tx: Tx, poll: PollRecord, *, city: str | None = None, platform: str | None = None) -> Totals:
    """The counts of a poll, overall or of one city or platform."""
    counts = [0] * len(poll.options)
    respondents = 0
    for option, cell_city, cell_platform, count in cells(tx, poll.id):
        if (city is not None and cell_city != city) or (platform is not None and cell_platform != platform):
            continue
        if option == RESPONDENTS:
            respondents += count
        elif 0 <= option < len(counts):
            counts[option] += count
    return Totals(respondents, counts)


def stored_answers(tx: Tx, poll: PollRecord) -> Totals:
    """The counts as the answers themselves give them (a check that the tallies hold)."""
    rows = tx.rows(select(A.choices).where(A.poll_id == poll.id))
    counts = [sum(1 for (choices,) in rows if choices >> option & 1) for option in range(len(poll.options))]
    return Totals(len(rows), counts)


# -- closing -----------------------------------------------------------------------------------------


def close(tx: Tx, poll_id: int, now: datetime) -> bool:
    """Close a poll: no more answers, its question stops going out, its result is sent.

    The result goes to the author, and to everyone who answered if the author chose so, as a
    broadcast whose recipients are written at once. False if it was closed already.
    """
    poll = lock(tx, poll_id)
    if poll is None or not poll.is_open:
        return False
    tx.execute(update(poll_table).where(P.id == poll_id).values(status=PollStatus.CLOSED.value, closed_at=now))
    if poll.broadcast_id is not None:
        outbox.change_status(tx, poll.broadcast_id, outbox.ACTIVE, BroadcastStatus.CANCELLED)
    result_id = outbox.create_broadcast(
        tx,
        author=(poll.author_platform, poll.author_user_id, poll.author_chat_id, poll.author_language),
        text=poll.question,
        audience=poll.audience,
        idea_id=None,
        button=None,
        send_at=now,
        now=now,
        poll_id=poll_id,
    )
    answered = R.id.in_(select(A.resident_id).where(A.poll_id == poll_id)) if poll.tell_answerers else false()
    author = and_(R.platform == poll.author_platform, R.user_id == poll.author_user_id)
    recipients = (
        select(
            literal(result_id, Integer),
            R.id,
            R.platform,
            literal(OutboxStatus.PENDING.value, String),
            literal(0, Integer),
            literal(now, DateTime(timezone=True)),
        )
        .where(or_(answered, author), R.platform != NOT_BROADCAST, R.unreachable_since.is_(None))
        .order_by(R.id)
    )
    columns = ["broadcast_id", "resident_id", "platform", "status", "attempts", "next_attempt_at"]
    total = tx.execute(insert(outbox_table).from_select(columns, recipients))
    tx.execute(
        update(broadcast_table)
        .where(B.id == result_id)
        .values(status=BroadcastStatus.SENDING.value, started_at=now, total=total, progress_final=True)
    )
    tx.execute(update(poll_table).where(P.id == poll_id).values(result_broadcast_id=result_id))
    return True


def close_due(tx: Tx, now: datetime) -> list[int]:
    """Close every open poll whose time is up; several processes may call this at once."""
    due = tx.rows(
        select(P.id)
        .where(P.status == PollStatus.OPEN.value, P.closes_at <= now)
        .order_by(P.id)
        .with_for_update(skip_locked=True)
    )
    return [int(poll_id) for (poll_id,) in due if close(tx, int(poll_id), now)]


# -- a person's own answers ---------------------------------------------------------------------------


def answers_of(tx: Tx, resident_id: int) -> list[dict[str, Any]]:
    """A resident's answers with the question and the options they chose, for their data export."""
    query = (
        select(*poll_answer_table.c, P.question, P.options)
        .join(poll_table, P.id == A.poll_id)
        .where(A.resident_id == resident_id)
        .order_by(A.poll_id)
    )
    found = []
    for row in tx.mappings(query):
        options = json.loads(row.pop("options"))
        row["chosen"] = [text for index, text in enumerate(options) if row["choices"] >> index & 1]
        row["answered_at"] = row["answered_at"].isoformat()
        found.append(row)
    return found


def erase_answers(tx: Tx, resident_id: int) -> None:
    """The answers go; the counts stay, as they name no one."""
    tx.execute(delete(poll_answer_table).where(A.resident_id == resident_id))
