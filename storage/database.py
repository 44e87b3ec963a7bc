"""Database engines: SQLite in WAL mode by default, PostgreSQL when configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


class DatabaseUrlError(ValueError):
    """DATABASE_URL names no database this bot can use."""


def normalise_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_db_engine(url: str, *, pool_size: int = 5, **connect_args: Any) -> Engine:
    """An engine for DATABASE_URL; `connect_args` go to the driver (e.g. a sqlite3 factory)."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise DatabaseUrlError(
            f"DATABASE_URL {url!r} is not a database URL (expected sqlite:///path or postgresql://…)"
        ) from err
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, connect_args)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, connect_args=connect_args
        )
    raise DatabaseUrlError(f"DATABASE_URL uses {parsed.get_backend_name()!r}; expected sqlite or postgresql")


def _sqlite_engine(url: str, database: str | None, connect_args: dict[str, Any]) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30, **connect_args})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Leave transaction control to the "begin" hook below instead of the driver,
        # which would otherwise start transactions lazily and as DEFERRED.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        # A DEFERRED transaction that reads, then writes, can lose an update to another
        # writer; IMMEDIATE takes the write lock up front so read-modify-write is safe.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
