"""Wake-ups between worker processes: PostgreSQL's LISTEN/NOTIFY, no broker of its own.

A worker that stores something another worker must act on (a notice for a web-chat page
that is open in another process) calls `notify` inside the same transaction; PostgreSQL
delivers the notification to every listener once, and only if the transaction commits.
Listeners treat a wake-up as a hint to look in the store: a notification can be missed
while a listener reconnects, so after every (re)connection the listener is told to look
at everything (`payload=None`). On SQLite there is one process, so there is nothing to wake.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import zlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url

from storage.database import normalise_url
from storage.store import Tx

log = logging.getLogger(__name__)


def channel_for(url: str, topic: str) -> str:
    """The channel of `topic` for one database and schema (channels are shared by a whole server)."""
    parsed = make_url(normalise_url(url))
    scope = parsed.set(password=None).render_as_string(hide_password=True)
    return f"mitmach_{topic}_{zlib.crc32(scope.encode()):08x}"


def who(user_id: str) -> str:
    """A person as a wake-up names them: a short hash, never the id itself."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:16]


def notify(tx: Tx, channel: str, payload: str) -> None:
    """Wake the listeners of `channel` when this transaction commits (PostgreSQL only)."""
    if tx.dialect == "postgresql":
        tx.cursor.execute("SELECT pg_notify(%s, %s)", (channel, payload))


class Listener:
    """Calls `on_wake(payload)` for each notification on a channel, reconnecting after failures.

    `on_wake(None)` means "something may have been missed: look at everything"."""

    def __init__(self, url: str, topic: str, on_wake: Callable[[str | None], None], *, retry: float = 1.0) -> None:
        parsed = make_url(normalise_url(url))
        self.enabled = parsed.get_backend_name() == "postgresql"
        self.conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self.channel = channel_for(url, topic)
        self.on_wake = on_wake
        self.retry = retry
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.enabled:
            self._task = asyncio.create_task(self._run(), name=f"listen {self.channel}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        import psycopg

        pause = self.retry
        while True:
            try:
                connection: Any = await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, connect_timeout=5
                )
                async with connection:
                    await connection.execute(f'LISTEN "{self.channel}"')
                    self.listening.set()
                    pause = self.retry
                    self.on_wake(None)
                    async for notification in connection.notifies():
                        self.on_wake(notification.payload)
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.warning("wake-ups interrupted (%s); listening again in %.0f s", type(err).__name__, pause)
            self.listening.clear()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30.0)
