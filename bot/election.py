"""A platform that only one worker process may run at a time: elected, and taken over when it dies.

Matrix has one sync loop per account (and one end-to-end encryption store): with several
workers (`python -m bot run --workers N`) the worker that holds the platform's lock
(storage/leadership.py, as for the broadcast sender) runs the adapter; the others stand by,
try again every few seconds, and hand their replies for that platform over to it
(bot/delivery.py `elsewhere`, storage/replies.py `hand_over`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.adapters.protocol import Adapter, Context, Platform
from storage.leadership import leadership_for

log = logging.getLogger(__name__)

Hook = Callable[[Adapter], Awaitable[None]]


class Elected:
    def __init__(
        self,
        platform: Platform,
        settings: Any,
        context: Context,
        database_url: str,
        *,
        on_start: Hook,
        on_stop: Hook,
        interval: float = 3.0,
    ) -> None:
        self.platform = platform
        self.settings = settings
        self.context = context
        self.lock = leadership_for(database_url, f"platform-{platform.name}")
        self.on_start = on_start
        self.on_stop = on_stop
        self.interval = interval
        self.adapter: Adapter | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.context.delivery.elsewhere.add(self.platform.name)
        self._task = asyncio.create_task(self._run(), name=f"elected {self.platform.name}")

    def alive(self) -> bool:
        """A worker standing by is healthy; the one running the platform is as healthy as its loop."""
        return self.adapter is None or bool(self.adapter.alive())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._step_down()
        await self.lock.release()

    async def _run(self) -> None:
        while True:
            try:
                if self.adapter is None and await self.lock.try_acquire():
                    await self._take_up()
                elif self.adapter is not None and not await self.lock.held():
                    log.warning("%s: this worker lost its lock; another one runs it now", self.platform.name)
                    await self._step_down()
            except Exception:
                log.exception("%s: could not take it up; trying again", self.platform.name)
                await self._step_down()
                await self.lock.release()
            await asyncio.sleep(self.interval)

    async def _take_up(self) -> None:
        adapter = self.platform.build(self.context, self.settings)  # registers its sender with the delivery
        try:
            await adapter.start()
        except BaseException:
            self.context.delivery.unregister(self.platform.name)
            raise
        self.adapter = adapter
        await self.on_start(adapter)
        log.info("%s: this worker runs it now", self.platform.name)

    async def _step_down(self) -> None:
        adapter, self.adapter = self.adapter, None
        if adapter is None:
            return
        self.context.delivery.unregister(self.platform.name)
        with contextlib.suppress(Exception):
            await self.on_stop(adapter)
        await adapter.stop()
