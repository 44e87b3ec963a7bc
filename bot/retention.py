"""The pruning job inside ``python -m bot run``: nothing personal is kept longer than its period.

One process prunes at a time: the one elected with the same lock as the broadcast sender
(storage/leadership.py, role ``retention``); the others stand by and take over when it
stops. It prunes at start-up and then every `interval` seconds.
"""

from __future__ import annotations

import asyncio
import logging

from storage import retention
from storage.leadership import Leadership, leadership_for
from storage.store import Store

log = logging.getLogger(__name__)


class RetentionJob:
    def __init__(
        self,
        store: Store,
        periods: retention.Periods,
        *,
        database_url: str,
        interval: float = 3600.0,
        election_interval: float = 30.0,
    ) -> None:
        self.store = store
        self.periods = periods
        self.database_url = database_url
        self.interval = interval
        self.election_interval = election_interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        leadership: Leadership = leadership_for(self.database_url, "retention")
        try:
            while True:
                if await leadership.try_acquire():
                    try:
                        await self.run_once()
                    except Exception:
                        log.exception("retention: pruning failed; trying again later")
                    await asyncio.sleep(self.interval)
                else:
                    await asyncio.sleep(self.election_interval)
        finally:
            await leadership.release()

    async def run_once(self) -> dict[str, int]:
        """Prune once; returns how many rows went, per table (and erased web residents)."""
        now = self.store.now()
        pruned = await asyncio.to_thread(self.store.run, lambda tx: retention.prune(tx, now, self.periods))
        erased = 0
        while True:  # in small transactions, so that residents' events are never held up for long
            batch = await asyncio.to_thread(
                self.store.run, lambda tx: retention.erase_stale_web_residents(tx, now, self.periods)
            )
            erased += batch
            if batch == 0:
                break
        pruned["web residents erased"] = erased
        if any(pruned.values()):
            log.info("retention: %s", ", ".join(f"{name} {count}" for name, count in pruned.items() if count))
        return pruned
