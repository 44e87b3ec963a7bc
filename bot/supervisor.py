"""Receive loops that come back, and the work an adapter does beside them.

A loop that ends or raises is logged and started again.

Each platform's receive loop (Telegram's long polling, Matrix's sync) skips a bad event
itself; should the loop still die, from a bug or a failure outside one event, its
supervisor logs why and restarts it after a pause that grows with repeated failures.
`/readyz` reports whether every supervised loop is running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

MAX_PAUSE = 60.0


class Supervised:
    """One loop, restarted whenever it ends; `alive` is False while it waits to restart."""

    def __init__(self, name: str, loop: Callable[[], Coroutine[Any, Any, None]], pause: float = 1.0) -> None:
        self.name = name
        self._loop = loop
        self._pause = pause
        self._task: asyncio.Task[None] | None = None
        self.running = False
        self.restarts = 0

    @property
    def alive(self) -> bool:
        return self.running and self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"supervised {self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.running = False

    async def _supervise(self) -> None:
        pause = self._pause
        while True:
            self.running = True
            began = time.monotonic()
            try:
                await self._loop()
                log.error("the %s loop ended; restarting it in %.0f s", self.name, pause)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the %s loop died; restarting it in %.0f s", self.name, pause)
            self.running = False
            self.restarts += 1
            if time.monotonic() - began > MAX_PAUSE:  # it ran well for a while: a fresh failure
                pause = self._pause
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)


class Background:
    """Work an adapter runs beside its receive loop (sending replies, answering a button):
    the loop never waits for it, and a failure is logged, never lost."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

    async def finish(self) -> None:
        """Wait for all of it."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def cancel(self) -> None:
        """Stop all of it (replies not sent yet stay kept in the store, and go out after a restart)."""
        for task in list(self._tasks):
            task.cancel()
        await self.finish()
