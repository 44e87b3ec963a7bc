"""Replies that survive a crash: settled once sent, taken over when their process died.

The engine keeps every reply in the store within the event's transaction. The process
that handled the event sends it and settles it. Each process holds a lock of its own for
as long as it lives (storage/leadership.py: an advisory lock on PostgreSQL, a file lock
beside an SQLite file); a process that can take another's lock knows that one is dead,
takes its kept replies over and sends them. So a reply held by a live process is never
sent by a second one, and one whose process died goes out at the next start (or within
`interval` seconds on another worker).

Web replies wait for their page instead: they are handed out when it reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bot.delivery import Delivery, Receipts
from dialogs.engine import Engine
from dialogs.messages import Identity, Outbound, Receipt, reply_from_data
from storage import replies
from storage.leadership import AdvisoryLock, FileLock, Leadership, leadership_for
from storage.store import Store, Tx

log = logging.getLogger(__name__)

TAKEOVER_GRACE = timedelta(seconds=30)
"""A PostgreSQL lock lives on a connection, which can break while its process lives on; that
process takes its lock back within one round. Until then its replies younger than this are
not taken over, so that a process whose lock is briefly lost does not share its sends."""
KEEP_WAITING = timedelta(days=7)
"""A reply whose recipient never came back (a web page never reopened) is dropped after this."""
WAITS_FOR_PAGE = ("web",)


class ReplyOutbox:
    def __init__(self, store: Store, worker: str, delivery: Delivery, *, interval: float = 5.0) -> None:
        self.store = store
        self.database_url = store.engine.url.render_as_string(hide_password=False)
        self.worker = worker
        self.delivery = delivery
        self.interval = interval
        self._alive: Leadership = leadership_for(self.database_url, self._role(worker))
        # a file lock cannot be lost while its process lives: a dead owner's replies are taken at once
        self._grace = TAKEOVER_GRACE if isinstance(self._alive, AdvisoryLock) else timedelta(0)
        self._task: asyncio.Task[None] | None = None
        delivery.receipts = self

    @staticmethod
    def _role(worker: str) -> str:
        return f"worker.{worker}"

    async def hold(self) -> None:
        """Before the first event: hold this process's lock and take over what dead processes left."""
        if not await self._alive.try_acquire():
            raise RuntimeError("could not take this process's lock in the store: is the database reachable?")
        await self._take_over_dead_workers()

    async def start(self) -> None:
        """Once the adapters can send: send what is due, then keep looking every `interval` seconds."""
        await self.run_once()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._alive.release()
        _remove_lock_file(self._alive)

    async def settle(self, receipt: Receipt) -> None:
        await asyncio.to_thread(self.store.run, lambda tx: replies.settle(tx, receipt.id))

    async def settle_for(self, token: str, identity: Identity) -> bool:
        return await asyncio.to_thread(
            self.store.run, lambda tx: replies.settle_for(tx, token, identity.platform, identity.user_id)
        )

    async def hand_over(self, receipt: Receipt) -> None:
        """For a platform another worker runs: that worker sends it (within `interval` seconds)."""
        now = self.store.now()
        await asyncio.to_thread(self.store.run, lambda tx: replies.hand_over(tx, receipt.id, now))

    async def retry_later(self, receipt: Receipt) -> None:
        now = self.store.now()
        kept = await asyncio.to_thread(self.store.run, lambda tx: replies.retry_later(tx, receipt.id, now))
        if not kept:
            log.warning("a reply was dropped after %d attempts", len(replies.RETRY_DELAYS) + 1)

    async def wait_for_recipient(self, tokens: list[str]) -> None:
        now = self.store.now()
        await asyncio.to_thread(self.store.run, lambda tx: replies.wait_for_recipient(tx, tokens, now))

    async def take_for(self, identity: Identity) -> list[Outbound]:
        """Replies that wait for this recipient to come back (a reconnecting page), oldest first."""

        def work(tx: Tx) -> list[replies.KeptReply]:
            return replies.take_due_for(tx, identity.platform, identity.user_id, self.worker)

        kept = await asyncio.to_thread(self.store.run, work)
        return [_outbound(row) for row in kept]

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.run_once()
            except Exception:
                log.exception("kept replies: this round failed; trying again in %.0f s", self.interval)

    async def run_once(self) -> None:
        if not await self._still_alive():
            return
        await self._take_over_dead_workers()
        now = self.store.now()
        await asyncio.to_thread(self.store.run, lambda tx: replies.give_up(tx, now - KEEP_WAITING))
        platforms = tuple(p for p in self.delivery.platforms() if p not in WAITS_FOR_PAGE)
        if not platforms:
            return
        due = await asyncio.to_thread(self.store.run, lambda tx: replies.due(tx, self.worker, now, platforms))
        if due:
            log.info("sending %d kept replies", len(due))
        for row in due:
            await self.delivery.hand(_outbound(row))

    async def _still_alive(self) -> bool:
        """Hold this process's lock again where it was lost (a broken database connection)."""
        if await self._alive.held():
            return True
        log.warning("this process lost its lock in the store; taking it back")
        if await self._alive.try_acquire():
            return True
        log.warning("could not take the lock back; kept replies wait for the next round")
        return False

    async def _take_over_dead_workers(self) -> None:
        others = await asyncio.to_thread(self.store.run, lambda tx: replies.workers_other_than(tx, self.worker))
        for other in set(others) | self._lock_files_of_others():
            lock = leadership_for(self.database_url, self._role(other))
            if not await lock.try_acquire():
                continue  # that process is alive and sends its own replies
            try:
                taken = await asyncio.to_thread(self.store.run, self._taking_over(other))
                if taken:
                    log.info("took over %d replies of a process that stopped before sending them", taken)
            finally:
                await lock.release()
                _remove_lock_file(lock)

    def _taking_over(self, dead: str) -> Callable[[Tx], int]:
        now = self.store.now()
        return lambda tx: replies.take_over(tx, dead, now, created_before=now - self._grace)

    def _lock_files_of_others(self) -> set[str]:
        """Processes named by lock files beside an SQLite database; a dead one's file is removed once checked.

        Only files older than a minute: a process that is just starting creates its file a moment
        before it locks it."""
        if not isinstance(self._alive, FileLock):
            return set()
        own = Path(self._alive.path)
        prefix = own.name[: -len(f"{self.worker}.lock")]
        settled = time.time() - 60
        found = set()
        for path in own.parent.glob(f"{prefix}*.lock"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < settled:
                    found.add(path.name[len(prefix) : -len(".lock")])
        return found - {self.worker}


def outbox_for(delivery: Delivery, engine: Engine) -> Receipts:
    """The delivery's outbox; one that only settles (no take-over) where the wiring made none."""
    if delivery.receipts is None:
        ReplyOutbox(engine.store, engine.worker, delivery)
    assert delivery.receipts is not None
    return delivery.receipts


def _outbound(row: replies.KeptReply) -> Outbound:
    return Outbound(
        Identity(row.platform, row.user_id), row.chat_id, reply_from_data(row.reply), Receipt(row.id, row.token)
    )


def _remove_lock_file(lock: Leadership) -> None:
    if isinstance(lock, FileLock):
        with contextlib.suppress(OSError):
            Path(lock.path).unlink()
