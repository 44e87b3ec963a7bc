"""Sends one platform's share of the outbox, at the platform's rate, and records every result.

Crash safety rests on one rule: a send slot is given back only once the result of its
send is stored. So at any moment at most `concurrency` messages have gone out without
a record, and only those can arrive twice after a crash; every other claimed row is
either recorded or was never sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from bot.broadcasting.transport import (
    OutsideWindow,
    PermanentFailure,
    RateLimited,
    RecipientBlocked,
    TemporaryFailure,
    Transport,
)
from bot.retry import FOREVER, retrying
from dialogs.flows.news import broadcast_reply
from dialogs.flows.polls import broadcast_message
from dialogs.i18n import Language, Languages
from dialogs.messages import Identity, Outbound, Reply
from storage import outbox
from storage.models import BroadcastStatus, OutboxStatus
from storage.store import Store, Tx

log = logging.getLogger(__name__)
LeaderCheck = Callable[[], Awaitable[bool]]


@dataclass
class SenderCounters:
    sent: int = 0
    unreachable: int = 0
    retried: int = 0
    failed: int = 0
    rate_limited: int = 0
    no_window: int = 0


@dataclass
class _Pending:
    result: outbox.Result
    stored: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Recorder:
    """Stores results in small groups (one transaction each) and tells each sender when its result is safe."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: list[_Pending] = []
        self._wake = asyncio.Event()

    async def record(self, result: outbox.Result) -> None:
        pending = _Pending(result)
        self._queue.append(pending)
        self._wake.set()
        await pending.stored

    def _store(self, results: list[outbox.Result]) -> None:
        self.store.run(lambda tx: outbox.record(tx, results, self.store.now()))

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._queue = self._queue, []
            if not batch:
                continue
            results = [p.result for p in batch]
            # the database is away: keep the results and try again
            await retrying(
                partial(asyncio.to_thread, self._store, results),
                on=(Exception,),
                attempts=FOREVER,
                first=0.5,
                longest=30.0,
                what="storing broadcast results",
            )
            for pending in batch:
                if not pending.stored.done():
                    pending.stored.set_result(None)


class ClaimCheck:
    """Asks the store, just before each send, whether the recipient's row is still claimed.

    Erasing a resident deletes their outbox rows, so a row claimed a moment before an
    erasure must not go out. The sends waiting at one moment share one read, on a
    snapshot that takes no write lock.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: dict[int, asyncio.Future[bool]] = {}
        self._wake = asyncio.Event()

    async def present(self, row_id: int) -> bool:
        waiting = self._waiting.get(row_id)
        if waiting is None:
            waiting = self._waiting[row_id] = asyncio.get_running_loop().create_future()
        self._wake.set()
        return await waiting

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._waiting = self._waiting, {}
            if not batch:
                continue
            ids = list(batch)
            try:
                claimed = await asyncio.to_thread(self.store.read, lambda tx, ids=ids: outbox.still_claimed(tx, ids))
            except Exception as err:
                log.warning("broadcast recipients could not be checked: %s", type(err).__name__)
                for waiting in batch.values():
                    if not waiting.done():
                        waiting.set_exception(TemporaryFailure("the store could not be read"))
                continue
            for row_id, waiting in batch.items():
                if not waiting.done():
                    waiting.set_result(row_id in claimed)


class PlatformSender:
    """The one sender of a platform while this process holds the platform's sender role."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        languages: Languages,
        *,
        concurrency: int = 8,
        max_attempts: int = 6,
        retry_delay: float = 5.0,
        poll_interval: float = 0.5,
    ) -> None:
        self.store = store
        self.transport = transport
        self.languages = languages
        self.platform = transport.platform
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.poll_interval = poll_interval
        self.batch = max(2 * concurrency, int(0.5 / transport.limiter.gap))
        self.limiter = transport.limiter
        self.counters = SenderCounters()
        self._slots = asyncio.Semaphore(concurrency)
        self._statuses: dict[int, str] = {}
        self._broadcasts: dict[int, tuple[outbox.BroadcastRecord, dict[str, str]]] = {}
        self._replies: dict[tuple[int, str], asyncio.Future[Reply]] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        self._check = ClaimCheck(store)

    async def run(self, still_leader: LeaderCheck) -> None:
        """Send until cancelled or until the sender role is lost; claimed rows are handed back on the way out."""
        released = await asyncio.to_thread(self.store.run, lambda tx: outbox.release_claims(tx, self.platform))
        if released:
            log.info("%s: %s unfinished recipients from an earlier sender are due again", self.platform, released)
        self._statuses = await asyncio.to_thread(self.store.run, outbox.open_statuses)
        recorder = Recorder(self.store)
        queue: asyncio.Queue[outbox.Claimed | None] = asyncio.Queue(maxsize=self.batch)
        helpers = [
            asyncio.create_task(recorder.run()),
            asyncio.create_task(self._check.run()),
            asyncio.create_task(self._follow_statuses()),
            asyncio.create_task(self._claim_ahead(queue, still_leader)),
        ]
        try:
            while (row := await queue.get()) is not None:
                await self._slots.acquire()
                if not self._held_back(row):
                    await self.limiter.wait()
                task = asyncio.create_task(self._deliver(row, recorder))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
        finally:
            helpers[-1].cancel()
            if self._in_flight:
                await asyncio.gather(*list(self._in_flight), return_exceptions=True)
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            try:
                await asyncio.to_thread(self.store.run, lambda tx: outbox.release_claims(tx, self.platform))
            except Exception:  # the next sender hands them back when it starts
                log.warning("%s: claimed recipients not handed back on stopping", self.platform)

    async def _claim_ahead(self, queue: asyncio.Queue[outbox.Claimed | None], still_leader: LeaderCheck) -> None:
        """Claim the next batch while the current one is being sent, so sending never waits for the store."""
        try:
            while await still_leader():
                claimed = await asyncio.to_thread(
                    self.store.run, lambda tx: outbox.claim(tx, self.platform, self.batch, self.store.now())
                )
                if not claimed:
                    await asyncio.sleep(self.poll_interval)
                for row in claimed:
                    await queue.put(row)
        except Exception:
            log.exception("%s: recipients could not be claimed; the sender starts again shortly", self.platform)
        await queue.put(None)

    def _held_back(self, row: outbox.Claimed) -> bool:
        """Paused or cancelled since the row was claimed (it was sending when claimed)."""
        return self._statuses.get(row.broadcast_id) in (BroadcastStatus.PAUSED.value, BroadcastStatus.CANCELLED.value)

    async def _follow_statuses(self) -> None:
        """Pauses and cancels reach the sender within half a second."""
        while True:
            try:
                self._statuses = await asyncio.to_thread(self.store.run, outbox.open_statuses)
            except Exception:
                log.warning("%s: broadcast statuses could not be read", self.platform)
            await asyncio.sleep(0.5)

    async def _deliver(self, row: outbox.Claimed, recorder: Recorder) -> None:
        try:
            result = await self._attempt(row)
            await recorder.record(result)
        finally:
            self._slots.release()

    async def _attempt(self, row: outbox.Claimed) -> outbox.Result:
        now = self.store.now()
        if self._held_back(row):
            cancelled = self._statuses.get(row.broadcast_id) == BroadcastStatus.CANCELLED.value
            after = OutboxStatus.CANCELLED if cancelled else OutboxStatus.PENDING
            return outbox.Result(row.id, row.resident_id, after, row.attempts, now)
        try:
            reply = await self._reply(row)
            if not await self._check.present(row.id):
                log.debug("%s: recipient row %s is gone (erased); not sent", self.platform, row.id)
                return outbox.Result(row.id, row.resident_id, OutboxStatus.CANCELLED, row.attempts, now)
            message_id = await self.transport.post(Outbound(Identity(self.platform, row.user_id), row.chat_id, reply))
        except RecipientBlocked:
            self.counters.unreachable += 1
            return outbox.Result(row.id, row.resident_id, OutboxStatus.UNREACHABLE, row.attempts + 1, now)
        except RateLimited as err:
            self.counters.rate_limited += 1
            self.limiter.hold(err.retry_after)
            later = now + timedelta(seconds=err.retry_after)
            return outbox.Result(row.id, row.resident_id, OutboxStatus.PENDING, row.attempts, later)
        except OutsideWindow:
            self.counters.no_window += 1
            return outbox.Result(row.id, row.resident_id, OutboxStatus.NO_WINDOW, row.attempts + 1, now)
        except PermanentFailure as err:
            log.warning("%s: a broadcast message was refused: %s", self.platform, err)
            self.counters.failed += 1
            return outbox.Result(row.id, row.resident_id, OutboxStatus.FAILED, row.attempts + 1, now)
        except Exception as err:
            if not isinstance(err, TemporaryFailure | TimeoutError | OSError):
                log.exception("%s: unexpected error while sending a broadcast message", self.platform)
            return self._retry_later(row, now)
        self.counters.sent += 1
        sent = OutboxStatus.SENT
        return outbox.Result(row.id, row.resident_id, sent, row.attempts + 1, now, sent_at=now, message_id=message_id)

    def _retry_later(self, row: outbox.Claimed, now: datetime) -> outbox.Result:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            self.counters.failed += 1
            return outbox.Result(row.id, row.resident_id, OutboxStatus.FAILED, attempts, now)
        self.counters.retried += 1
        delay = min(600.0, self.retry_delay * 2 ** (attempts - 1))
        return outbox.Result(row.id, row.resident_id, OutboxStatus.PENDING, attempts, now + timedelta(seconds=delay))

    async def _reply(self, row: outbox.Claimed) -> Reply:
        """The broadcast in the recipient's language where staff wrote one, else as written, with a note.

        Made once per broadcast and language: the first sends in a language, on their way at once,
        wait for the same one (a poll is read from the store to make it)."""
        lang = self.languages.get(row.language)
        key = (row.broadcast_id, lang.code)
        made = self._replies.get(key)
        if made is None:
            made = self._replies[key] = asyncio.ensure_future(self._make_reply(row.broadcast_id, lang))
            made.add_done_callback(partial(self._forget_failed, key))
        return await asyncio.shield(made)

    def _forget_failed(self, key: tuple[int, str], made: asyncio.Future[Reply]) -> None:
        """A reply that could not be made is made again for the next recipient (the store was away)."""
        if (made.cancelled() or made.exception() is not None) and self._replies.get(key) is made:
            del self._replies[key]

    async def _make_reply(self, broadcast_id: int, lang: Language) -> Reply:
        broadcast, translated = self._broadcasts.get(broadcast_id, (None, {}))
        if broadcast is None:
            broadcast, translated = await asyncio.to_thread(self.store.run, partial(_with_texts, broadcast_id))
            if broadcast is None:
                raise PermanentFailure(f"broadcast {broadcast_id} is gone")
            self._broadcasts[broadcast_id] = (broadcast, translated)
        if broadcast.poll_id is not None:
            return await self._poll_reply(broadcast, lang)
        if lang.code in translated:
            return broadcast_reply(translated[lang.code], broadcast.idea_id, broadcast.button, lang)
        return broadcast_reply(
            broadcast.text, broadcast.idea_id, broadcast.button, lang, written_in=broadcast.author_language
        )

    async def _poll_reply(self, broadcast: outbox.BroadcastRecord, lang: Language) -> Reply:
        """A poll's question with its answer buttons, or its result (dialogs/flows/polls.py)."""
        reply = await asyncio.to_thread(self.store.read, lambda tx: broadcast_message(tx, broadcast, lang))
        if reply is None:
            raise PermanentFailure(f"the poll of broadcast {broadcast.id} is gone")
        return reply


def _with_texts(broadcast_id: int, tx: Tx) -> tuple[outbox.BroadcastRecord | None, dict[str, str]]:
    found = outbox.get(tx, broadcast_id)
    return found, outbox.translations(tx, broadcast_id) if found is not None else {}
