"""Which process sends a platform's broadcasts: exactly one at a time, taken over when it dies.

On PostgreSQL a session-level advisory lock, held on a connection of its own: when the
holder's process dies, its connection closes and the server releases the lock at once.
On SQLite (one machine) an exclusive lock on a file beside the database, which the
operating system releases when the holder exits, however it exits.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from storage.database import normalise_url

log = logging.getLogger(__name__)
LOCK_NAMESPACE = 0x4D42  # "MB": this bot's advisory locks


class Leadership(Protocol):
    async def try_acquire(self) -> bool:
        """Become the sender if nobody is; True when this process holds the role now."""

    async def held(self) -> bool:
        """Still the sender? False once the lock was lost (e.g. the database connection broke)."""

    async def release(self) -> None: ...


def leadership_for(url: str, role: str) -> Leadership:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "postgresql":
        return AdvisoryLock(url, role)
    database = parsed.database
    if not database or database == ":memory:":
        return InProcess()
    return FileLock(Path(f"{database}.{role}.lock"))


class InProcess:
    """An in-memory database lives in one process: that process is always the sender."""

    async def try_acquire(self) -> bool:
        return True

    async def held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    async def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: one process per SQLite file
            self._handle = True
            return True
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    async def held(self) -> bool:
        return self._handle is not None

    async def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None and handle is not True:
            handle.close()


class AdvisoryLock:
    def __init__(self, url: str, role: str) -> None:
        parsed = make_url(normalise_url(url))
        self.conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        # One lock per database, schema (search_path) and role; never includes the password.
        scope = parsed.set(password=None).render_as_string(hide_password=True)
        self.key = zlib.crc32(f"{scope}|{role}".encode()) - 2**31
        self._connection: Any = None

    def _connect_and_lock(self) -> bool:
        import psycopg

        connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
        row = connection.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, self.key)).fetchone()
        if row and row[0]:
            self._connection = connection
            return True
        connection.close()
        return False

    async def try_acquire(self) -> bool:
        if self._connection is not None:
            return await self.held()
        try:
            return await asyncio.to_thread(self._connect_and_lock)
        except Exception as err:  # the database is unreachable: nobody can lead from here now
            log.warning("sender election: database not reachable (%s)", type(err).__name__)
            return False

    def _check(self) -> bool:
        try:
            self._connection.execute("SELECT 1")
            return True
        except Exception:
            self._drop()
            return False

    async def held(self) -> bool:
        if self._connection is None:
            return False
        return await asyncio.to_thread(self._check)

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # closing a broken connection may fail too; the lock is gone either way
                log.debug("closing the election connection failed", exc_info=True)

    async def release(self) -> None:
        await asyncio.to_thread(self._drop)
