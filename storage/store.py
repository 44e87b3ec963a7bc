"""The shared store: one transaction per resident event, plain queries on the tables.

The dialogue engine runs each event as one unit of work (`Store.transaction`): claim
the event id, lock the resident's conversation, read and write, commit. On SQLite the
transaction begins IMMEDIATE; on PostgreSQL the conversation row is locked with
SELECT … FOR UPDATE. Either way two events of one resident are serialised.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, and_, bindparam, delete, func, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from storage.database import create_db_engine
from storage.models import (
    ALL_CITIES,
    IdeaStatus,
    conversation_table,
    idea_table,
    processed_event_table,
    resident_table,
    utcnow,
    vote_table,
)
from storage.prepared import Prepared, PreparedSet

T = TypeVar("T")
log = logging.getLogger(__name__)

EVENT_RETENTION = timedelta(days=7)
"""How long a processed event id counts as seen. Telegram may start update ids afresh
after a week without updates, so an id older than this is a new event."""

R = resident_table.c
C = conversation_table.c
I = idea_table.c  # noqa: E741 - reads like the table it stands for
V = vote_table.c


class ConcurrentUpdateError(RuntimeError):
    """The conversation changed under us; the caller retries the whole event."""


@dataclass(slots=True)
class ResidentRecord:
    id: int
    platform: str
    user_id: str
    chat_id: str
    language: str | None
    city: str | None
    state: str
    context: dict[str, Any]
    version: int
    created_at: datetime
    unreachable_since: datetime | None = None
    is_new: bool = False
    _saved_profile: tuple[str, str | None, str | None] = field(default=("", None, None), repr=False)


@dataclass(frozen=True, slots=True)
class IdeaSummary:
    """What a list of ideas shows: enough to label a button."""

    id: int
    title: str
    support_count: int


@dataclass(frozen=True, slots=True)
class IdeaRecord:
    id: int
    title: str
    description: str
    field_id: str
    city: str
    status: str
    author_id: int | None
    source: str | None
    support_count: int
    created_at: datetime
    updated_at: datetime
    progress: str | None = None
    progress_reason: str | None = None
    decision_reason: str | None = None
    """Why a moderator did not publish it (shown to its author)."""
    merged_into: int | None = None


IDEA_COLUMNS = (
    I.id,
    I.title,
    I.description,
    I.field_id,
    I.city,
    I.status,
    I.author_id,
    I.source,
    I.support_count,
    I.created_at,
    I.updated_at,
    I.progress,
    I.progress_reason,
    I.decision_reason,
    I.merged_into,
)

_SELECT_RESIDENT = (
    select(
        R.id,
        R.platform,
        R.user_id,
        R.chat_id,
        R.language,
        R.city,
        C.state,
        C.context,
        C.version,
        R.created_at,
        R.unreachable_since,
    )
    .join(conversation_table, C.resident_id == R.id)
    .where(R.platform == bindparam("platform"), R.user_id == bindparam("user_id"))
)
_SELECT_RESIDENT_FOR_UPDATE = _SELECT_RESIDENT.with_for_update(of=conversation_table)
_UPDATE_CONVERSATION = (
    update(conversation_table)
    .where(C.resident_id == bindparam("rid"), C.version == bindparam("old_version"))
    .values(
        state=bindparam("state"),
        context=bindparam("context"),
        version=bindparam("new_version"),
        updated_at=bindparam("now"),
    )
)
_UPDATE_PROFILE = (
    update(resident_table)
    .where(R.id == bindparam("rid"))
    .values(chat_id=bindparam("chat_id"), language=bindparam("language"), city=bindparam("city"))
)
_SELECT_IDEA = select(*IDEA_COLUMNS).where(I.id == bindparam("idea_id"))
# SQLite writes no FOR UPDATE: its transaction holds the database's write lock from BEGIN IMMEDIATE.
_LOCK_IDEA = _SELECT_IDEA.with_for_update()
_HAS_VOTE = select(V.idea_id).where(V.resident_id == bindparam("rid"), V.idea_id == bindparam("idea_id"))
_BUMP_SUPPORT = (
    update(idea_table).where(I.id == bindparam("idea_id")).values(support_count=I.support_count + bindparam("delta"))
)


def _visible_in(city_param: str = "city") -> Any:
    return or_(I.city == bindparam(city_param), I.city == ALL_CITIES)


_LIST_IDEAS = (
    select(I.id, I.title, I.support_count)
    .where(I.field_id == bindparam("field_id"), I.status == IdeaStatus.APPROVED.value, _visible_in())
    .order_by(I.support_count.desc(), I.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)
_COUNT_IDEAS = select(func.count()).where(
    I.field_id == bindparam("field_id"), I.status == IdeaStatus.APPROVED.value, _visible_in()
)


_SELECT_AUTHOR_IDEAS = select(*IDEA_COLUMNS).where(I.author_id == bindparam("rid")).order_by(I.id.desc())
_DELETE_VOTE = delete(vote_table).where(V.resident_id == bindparam("rid"), V.idea_id == bindparam("idea_id"))
_INSERT_CONVERSATION = insert(conversation_table).values(
    resident_id=bindparam("rid"), state=bindparam("state"), context="{}", version=0, updated_at=bindparam("now")
)
_INSERT_IDEA = (
    insert(idea_table)
    .values(
        {
            column: bindparam(column)
            for column in (
                "title",
                "description",
                "field_id",
                "city",
                "status",
                "author_id",
                "source",
                "support_count",
                "created_at",
                "updated_at",
            )
        }
    )
    .returning(I.id)
)


def _insert_ignore(dialect: str, table: Any, returning: Any, columns: tuple[str, ...]) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    values: dict[str, Any] = {column: bindparam(column) for column in columns}
    return module.insert(table).values(values).on_conflict_do_nothing().returning(returning)


def _claim_event(dialect: str) -> Any:
    """Insert the event id; an id seen more than EVENT_RETENTION ago is taken over, as a new event."""
    table = processed_event_table
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).values(
        {column: bindparam(column) for column in ("platform", "event_id", "processed_at")}
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.platform, table.c.event_id],
        set_={"processed_at": stmt.excluded.processed_at},
        where=table.c.processed_at < bindparam("seen_before", type_=table.c.processed_at.type),
    ).returning(table.c.event_id)


_CLAIM_EVENT = {d: _claim_event(d) for d in ("sqlite", "postgresql")}
_INSERT_RESIDENT = {
    d: _insert_ignore(d, resident_table, R.id, ("platform", "user_id", "chat_id", "created_at"))
    for d in ("sqlite", "postgresql")
}
_INSERT_VOTE = {
    d: _insert_ignore(d, vote_table, V.idea_id, ("resident_id", "idea_id", "created_at"))
    for d in ("sqlite", "postgresql")
}


class Tx:
    """The queries of one transaction. Created by `Store.transaction`.

    The statements of every dialogue step run through `prepared` (see storage/prepared.py);
    the rarer ones (export, delete, checks) through the SQLAlchemy connection `conn`.
    Both share one transaction.
    """

    def __init__(self, connection: Any, dialect: str, prepared: PreparedSet) -> None:
        self.connection = connection
        self.dialect = dialect
        self.prepared = prepared
        self.cursor = connection.cursor()

    # -- running statements -------------------------------------------------------------

    def rows(self, statement: Any) -> list[tuple[Any, ...]]:
        """Run a one-off SQLAlchemy Core query (not cached); for the rarer paths and for checks."""
        return Prepared(statement, self.prepared.dialect).all(self.cursor, {})

    def mappings(self, statement: Any) -> list[dict[str, Any]]:
        names = [column.name for column in statement.selected_columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows(statement)]

    def execute(self, statement: Any) -> int:
        """Run a one-off INSERT, UPDATE or DELETE; returns the number of rows changed."""
        return Prepared(statement, self.prepared.dialect).rowcount(self.cursor, {})

    def first(self, statement: Any, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """Run a module-level statement with bind parameters, compiled once (storage/prepared.py)."""
        return self.prepared(statement).first(self.cursor, params)

    def all(self, statement: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self.prepared(statement).all(self.cursor, params)

    def count(self, statement: Any, params: dict[str, Any]) -> int:
        """Run a module-level INSERT, UPDATE or DELETE compiled once; the number of rows changed."""
        return self.prepared(statement).rowcount(self.cursor, params)

    def count_many(self, statement: Any, params: list[dict[str, Any]]) -> None:
        """Run a module-level INSERT, UPDATE or DELETE once for each set of parameters."""
        if params:
            self.prepared(statement).executemany(self.cursor, params)

    # -- events and conversations ------------------------------------------------

    def claim_event(self, platform: str, event_id: str, now: datetime) -> bool:
        """Record an event id; False when it was handled within EVENT_RETENTION."""
        params = {"platform": platform, "event_id": event_id, "processed_at": now, "seen_before": now - EVENT_RETENTION}
        if self.first(_CLAIM_EVENT[self.dialect], params) is not None:
            return True
        log.info("duplicate event skipped: %s %s", platform, event_id)
        return False

    def prune_events(self, before: datetime) -> int:
        """Forget event ids older than `before` (housekeeping: older ones no longer count as seen)."""
        table = processed_event_table
        return self.execute(delete(table).where(table.c.processed_at < before))

    def load_resident(self, platform: str, user_id: str) -> ResidentRecord | None:
        query = _SELECT_RESIDENT_FOR_UPDATE if self.dialect == "postgresql" else _SELECT_RESIDENT
        row = self.first(query, {"platform": platform, "user_id": user_id})
        if row is None:
            return None
        rid, platform, user_id, chat_id, language, city, state, context, version, created_at, unreachable = row
        record = ResidentRecord(
            rid,
            platform,
            user_id,
            chat_id,
            language,
            city,
            state,
            json.loads(context),
            version,
            created_at,
            unreachable,
        )
        record._saved_profile = (chat_id, language, city)
        return record

    def load_known_resident(self, platform: str, user_id: str, chat_id: str) -> ResidentRecord | None:
        """A resident who writes again, in the chat they write from; None for someone unknown."""
        record = self.load_resident(platform, user_id)
        if record is not None:
            record.chat_id = chat_id
            if record.unreachable_since is not None:  # they wrote again, so they can be reached
                self.set_reachable(platform, user_id, None)
                record.unreachable_since = None
        return record

    def load_or_create_resident(
        self, platform: str, user_id: str, chat_id: str, initial_state: str, now: datetime
    ) -> ResidentRecord:
        record = self.load_known_resident(platform, user_id, chat_id)
        if record is not None:
            return record
        values = {"platform": platform, "user_id": user_id, "chat_id": chat_id, "created_at": now}
        inserted = self.first(_INSERT_RESIDENT[self.dialect], values)
        if inserted is not None:
            self.count(_INSERT_CONVERSATION, {"rid": inserted[0], "state": initial_state, "now": now})
        record = self.load_resident(platform, user_id)
        if record is None:  # pragma: no cover - the row was just written in this transaction
            raise ConcurrentUpdateError("resident vanished while being created")
        record.is_new = inserted is not None
        return record

    def save_resident(self, record: ResidentRecord, now: datetime) -> None:
        changed = self.count(
            _UPDATE_CONVERSATION,
            {
                "rid": record.id,
                "old_version": record.version,
                "new_version": record.version + 1,
                "state": record.state,
                "context": json.dumps(record.context, ensure_ascii=False, separators=(",", ":")),
                "now": now,
            },
        )
        if changed != 1:
            raise ConcurrentUpdateError(f"conversation {record.id} changed concurrently")
        record.version += 1
        profile = (record.chat_id, record.language, record.city)
        if profile != record._saved_profile:
            params = {"rid": record.id, "chat_id": record.chat_id, "language": record.language, "city": record.city}
            self.count(_UPDATE_PROFILE, params)
            record._saved_profile = profile

    def set_reachable(self, platform: str, user_id: str, unreachable_since: datetime | None) -> bool:
        """Record that a platform refused delivery (a blocked bot), or that it works again."""
        stmt = (
            update(resident_table)
            .where(R.platform == platform, R.user_id == user_id)
            .values(unreachable_since=unreachable_since)
        )
        return bool(self.execute(stmt))

    # -- ideas and votes ---------------------------------------------------------------

    def get_idea(self, idea_id: int) -> IdeaRecord | None:
        row = self.first(_SELECT_IDEA, {"idea_id": idea_id})
        return IdeaRecord(*row) if row is not None else None

    def count_ideas(self, field_id: str, city: str) -> int:
        row = self.first(_COUNT_IDEAS, {"field_id": field_id, "city": city})
        return int(row[0]) if row else 0

    def list_ideas(self, field_id: str, city: str, offset: int, limit: int) -> list[IdeaSummary]:
        """Approved ideas of a field for a city, most supported first."""
        params = {"field_id": field_id, "city": city, "offset": offset, "limit": limit}
        return [IdeaSummary(*row) for row in self.all(_LIST_IDEAS, params)]

    def ideas_of_author(self, resident_id: int) -> list[IdeaRecord]:
        return [IdeaRecord(*row) for row in self.all(_SELECT_AUTHOR_IDEAS, {"rid": resident_id})]

    def has_ideas(self) -> bool:
        return bool(self.rows(select(I.id).limit(1)))

    def lock_idea(self, idea_id: int) -> IdeaRecord | None:
        """Read an idea and hold its row until the transaction ends.

        A vote locks its one idea row before it checks the status, so a merge, a hide or a
        rejection (which lock the row too) cannot slip in between the check and the vote.
        Paths that lock two or more idea rows lock them lowest id first.
        """
        row = self.first(_LOCK_IDEA, {"idea_id": idea_id})
        return IdeaRecord(*row) if row is not None else None

    def has_vote(self, resident_id: int, idea_id: int) -> bool:
        return self.first(_HAS_VOTE, {"rid": resident_id, "idea_id": idea_id}) is not None

    def add_vote(self, resident_id: int, idea_id: int, now: datetime) -> bool:
        """Support an idea; False if this resident already supports it.

        The caller has checked, under `lock_idea`, that the idea is open for support.
        """
        params = {"resident_id": resident_id, "idea_id": idea_id, "created_at": now}
        if self.first(_INSERT_VOTE[self.dialect], params) is None:
            return False
        self.count(_BUMP_SUPPORT, {"idea_id": idea_id, "delta": 1})
        return True

    def remove_vote(self, resident_id: int, idea_id: int) -> bool:
        """Withdraw a support; the caller holds the idea's row (`lock_idea`)."""
        if not self.count(_DELETE_VOTE, {"rid": resident_id, "idea_id": idea_id}):
            return False
        self.count(_BUMP_SUPPORT, {"idea_id": idea_id, "delta": -1})
        return True

    def create_idea(
        self,
        *,
        title: str,
        description: str,
        field_id: str,
        city: str,
        author_id: int | None,
        now: datetime,
        status: IdeaStatus = IdeaStatus.PENDING,
        source: str | None = None,
    ) -> int:
        values = {
            "title": title,
            "description": description,
            "field_id": field_id,
            "city": city,
            "status": status.value,
            "author_id": author_id,
            "source": source,
            "support_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        row = self.first(_INSERT_IDEA, values)
        assert row is not None
        return int(row[0])

    def set_idea_status(self, idea_id: int, status: IdeaStatus, now: datetime) -> bool:
        stmt = update(idea_table).where(I.id == idea_id).values(status=status.value, updated_at=now)
        return bool(self.execute(stmt))

    # -- checks ------------------------------------------------------------------------

    def support_mismatches(self) -> list[tuple[int, int, int]]:
        """Ideas whose stored tally differs from their votes, or merged ideas still holding votes.

        Each as (idea, tally, votes). A merge moves every vote to the target, so a merged
        idea must have none; hidden ideas keep theirs.
        """
        counted = select(V.idea_id, func.count().label("n")).group_by(V.idea_id).subquery()
        votes = func.coalesce(counted.c.n, 0)
        rows = self.rows(
            select(I.id, I.support_count, votes)
            .outerjoin(counted, counted.c.idea_id == I.id)
            .where(or_(I.support_count != votes, and_(I.status == IdeaStatus.MERGED.value, votes > 0)))
            .order_by(I.id)
        )
        return [(r[0], r[1], r[2]) for r in rows]


class Store:
    """Owns the database engine; hands out transactions."""

    RETRIES = 5

    def __init__(self, url: str, **connect_args: Any) -> None:
        self.engine: Engine = create_db_engine(url, **connect_args)
        self.dialect = self.engine.dialect.name
        self.prepared = PreparedSet(self.engine.dialect)
        dbapi = self.engine.dialect.dbapi
        driver = (dbapi.OperationalError, dbapi.InterfaceError) if dbapi is not None else ()
        self._outages: tuple[type[BaseException], ...] = (
            ConcurrentUpdateError,
            OperationalError,
            InterfaceError,
            *driver,
        )
        """What the database raises when it is away, locked or in a conflict, not when a query is wrong.

        Statements run straight on the driver's cursor (storage/prepared.py), so the driver's own
        exceptions arrive unwrapped beside SQLAlchemy's."""

    def unavailable(self, err: BaseException) -> bool:
        """True when `err` means "the store could not do it now" (try again later), not a bug."""
        if isinstance(err, DBAPIError) and err.connection_invalidated:
            return True
        return isinstance(err, self._outages)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One transaction on a pooled driver connection: committed on success, rolled back on error.

        SQLite: BEGIN IMMEDIATE takes the write lock up front (see storage/database.py).
        PostgreSQL: the driver opens the transaction with the first statement.
        """
        pooled = self.engine.raw_connection()
        connection = pooled.driver_connection
        try:
            if self.dialect == "sqlite":
                connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
            yield Tx(connection, self.dialect, self.prepared)
            connection.commit()  # type: ignore[union-attr]
        except BaseException:
            connection.rollback()  # type: ignore[union-attr]
            raise
        finally:
            pooled.close()

    def run(self, work: Callable[[Tx], T]) -> T:
        """Run `work` in one transaction, retrying when a concurrent writer got in the way."""
        for attempt in range(self.RETRIES):
            try:
                with self.transaction() as tx:
                    return work(tx)
            except Exception as err:
                if not isinstance(err, self._outages):
                    raise
                if attempt == self.RETRIES - 1 or not _is_retryable(err):
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, work: Callable[[Tx], T]) -> T:
        """Run read-only `work` on one consistent snapshot, without blocking writers.

        For reports over many rows (the staff figures): SQLite begins a DEFERRED transaction,
        which in WAL mode reads a snapshot and takes no write lock; PostgreSQL runs it
        REPEATABLE READ and READ ONLY. Nothing `work` does is committed.
        """
        pooled = self.engine.raw_connection()
        connection: Any = pooled.driver_connection
        try:
            if self.dialect == "sqlite":
                connection.execute("BEGIN DEFERRED")
            else:
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try:
                return work(Tx(connection, self.dialect, self.prepared))
            finally:
                connection.rollback()
        finally:
            pooled.close()

    def now(self) -> datetime:
        return utcnow()

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        self.run(lambda tx: tx.rows(select(literal(1))))

    def dispose(self) -> None:
        self.engine.dispose()


def _is_retryable(err: Exception) -> bool:
    if isinstance(err, ConcurrentUpdateError):
        return True
    text = str(err).lower()
    return any(marker in text for marker in ("database is locked", "deadlock", "could not serialize"))
