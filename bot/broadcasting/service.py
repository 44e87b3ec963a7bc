"""Runs broadcasts in a bot process: the scheduler, and one sender per platform when elected.

Every process runs the scheduler (it is safe to run it twice: the first to lock a due
broadcast writes its recipients). For each platform, the process that holds the
platform's sender role (`storage/leadership.py`) sends, at that platform's rate, and
keeps the progress messages of authors on that platform up to date. The others stand
by and try again every few seconds, so one takes over soon after the sender dies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from bot.broadcasting.sender import PlatformSender
from bot.broadcasting.transport import PermanentFailure, RecipientBlocked, Transport
from dialogs.flows.broadcast import progress_reply
from dialogs.i18n import Languages
from dialogs.messages import Identity, Outbound
from storage import outbox, polls
from storage.leadership import Leadership, leadership_for
from storage.models import BroadcastStatus
from storage.store import Store, Tx

log = logging.getLogger(__name__)

FINAL = (BroadcastStatus.DONE.value, BroadcastStatus.CANCELLED.value)


class BroadcastService:
    def __init__(
        self,
        store: Store,
        languages: Languages,
        transports: Iterable[Transport],
        *,
        database_url: str,
        concurrency: int = 8,
        retry_delay: float = 5.0,
        schedule_interval: float = 1.0,
        election_interval: float = 2.0,
        progress_interval: float = 3.0,
        takeover_pause: float = 1.5,
    ) -> None:
        self.store = store
        self.languages = languages
        self.transports = list(transports)
        self.database_url = database_url
        self.concurrency = concurrency
        self.retry_delay = retry_delay
        self.schedule_interval = schedule_interval
        self.election_interval = election_interval
        self.progress_interval = progress_interval
        self.takeover_pause = takeover_pause
        self.senders: dict[str, PlatformSender] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._platforms: dict[str, asyncio.Task[None]] = {}

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._schedule()))
        for transport in self.transports:
            self._tasks.append(asyncio.create_task(self._lead(transport)))

    def add(self, transport: Transport) -> None:
        """A platform this process has begun to run (bot/election.py): it may send its broadcasts too."""
        self._platforms[transport.platform] = asyncio.create_task(self._lead(transport))

    async def remove(self, platform: str) -> None:
        """A platform this process no longer runs: another process sends its broadcasts."""
        task = self._platforms.pop(platform, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def stop(self) -> None:
        for platform in list(self._platforms):
            await self.remove(platform)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # -- the scheduler ----------------------------------------------------------------------------

    async def _schedule(self) -> None:
        while True:
            try:
                promoted = await asyncio.to_thread(self.store.run, lambda tx: outbox.promote_due(tx, self.store.now()))
                for broadcast_id, total in promoted:
                    log.info("broadcast %s: %s recipients written, sending", broadcast_id, total)
                finished = await asyncio.to_thread(
                    self.store.run, lambda tx: outbox.finish_completed(tx, self.store.now())
                )
                for broadcast_id in finished:
                    log.info("broadcast %s finished", broadcast_id)
                closed = await asyncio.to_thread(self.store.run, lambda tx: polls.close_due(tx, self.store.now()))
                for poll_id in closed:
                    log.info("poll %s closed; its result is being sent", poll_id)
            except Exception:
                log.exception("the broadcast scheduler could not read the store; trying again")
            await asyncio.sleep(self.schedule_interval)

    # -- one platform --------------------------------------------------------------------------------

    async def _lead(self, transport: Transport) -> None:
        leadership = leadership_for(self.database_url, f"broadcast-sender-{transport.platform}")
        try:
            while True:
                if await leadership.try_acquire():
                    log.info("%s: this process sends broadcasts now", transport.platform)
                    await self._send_while_leading(transport, leadership)
                    log.info("%s: this process no longer sends broadcasts", transport.platform)
                await asyncio.sleep(self.election_interval)
        finally:
            await leadership.release()

    async def _send_while_leading(self, transport: Transport, leadership: Leadership) -> None:
        # The previous sender may have sent until the moment it died: wait until its last second
        # of sends is over, so that the platform never sees both within one second.
        await asyncio.sleep(self.takeover_pause)
        sender = PlatformSender(
            self.store, transport, self.languages, concurrency=self.concurrency, retry_delay=self.retry_delay
        )
        self.senders[transport.platform] = sender
        reporting = asyncio.create_task(self._report_progress(transport))
        try:
            await sender.run(leadership.held)
        except Exception:
            log.exception("%s: the broadcast sender stopped; it starts again shortly", transport.platform)
        finally:
            reporting.cancel()
            await asyncio.gather(reporting, return_exceptions=True)

    async def _report_progress(self, transport: Transport) -> None:
        """One message per broadcast to its author, edited as the figures change."""
        shown: dict[int, str] = {}
        while True:
            try:
                await self._report_once(transport, shown)
            except Exception:
                log.exception("%s: progress messages could not be updated", transport.platform)
            await asyncio.sleep(self.progress_interval)

    async def _report_once(self, transport: Transport, shown: dict[int, str]) -> None:
        def collect(tx: Tx) -> list[tuple[outbox.BroadcastRecord, outbox.Figures]]:
            return [(b, outbox.figures(tx, b.id)) for b in outbox.needing_progress(tx, transport.platform)]

        for broadcast, figures in await asyncio.to_thread(self.store.run, collect):
            lang = self.languages.get(broadcast.author_language)
            reply = progress_reply(broadcast, figures, lang)
            final = broadcast.status in FINAL
            if shown.get(broadcast.id) == reply.plain_text and not final:
                continue
            author = Identity(broadcast.author_platform, broadcast.author_user_id)
            message = Outbound(author, broadcast.author_chat_id, reply)
            message_id = broadcast.progress_message
            try:
                if message_id is None:
                    message_id = await transport.post(message) or ""
                elif transport.supports_edit:
                    await transport.edit(message, message_id)
                elif final:
                    await transport.post(message)
            except (RecipientBlocked, PermanentFailure):
                log.info("%s: the author of broadcast %s cannot be told its progress", transport.platform, broadcast.id)
                final = True
            shown[broadcast.id] = reply.plain_text
            if final or broadcast.progress_message is None:
                await asyncio.to_thread(
                    self.store.run, lambda tx, b=broadcast.id, m=message_id, f=final: outbox.set_progress(tx, b, m, f)
                )
