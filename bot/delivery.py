"""Hands each `Outbound` to the adapter of its platform, and settles the replies the store kept.

An event on one platform can concern people on another: a moderator approves on
Telegram, the author submitted in the web chat. Every adapter registers how it sends,
and passes on what is not for the person it is talking to.

Every reply the engine returns is kept in the store (storage/replies.py) until the
platform took it. A sender returns normally once it did (or never can: a blocked bot),
raises `DeliverLater` when it could not now, and returns `AWAITING_CONFIRMATION` when the
recipient confirms it later (a web page).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Final, Protocol

from dialogs.messages import Identity, Outbound, Receipt

log = logging.getLogger(__name__)


class DeliverLater(Exception):
    """The platform did not take the reply now; it stays kept and is tried again."""


AWAITING_CONFIRMATION: Final = "awaiting confirmation"
"""A sender's answer when the recipient's page confirms the reply itself."""

Sender = Callable[[Outbound], Awaitable[object]]


class Receipts(Protocol):
    """The store's kept replies, as adapters see them (bot/reply_outbox.py)."""

    async def settle(self, receipt: Receipt) -> None: ...

    async def retry_later(self, receipt: Receipt) -> None: ...

    async def hand_over(self, receipt: Receipt) -> None:
        """For a platform that another worker process runs: that one sends it."""

    async def settle_for(self, token: str, identity: Identity) -> bool:
        """A recipient confirmed a reply by its token; only one addressed to them counts."""

    async def wait_for_recipient(self, tokens: list[str]) -> None:
        """Sent to a page that closed before confirming: hand them out when the recipient is back."""

    async def take_for(self, identity: Identity) -> list[Outbound]:
        """Replies waiting for this recipient to come back, oldest first."""


class Delivery:
    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}
        self.elsewhere: set[str] = set()
        """Platforms that run in another worker process of this bot (`python -m bot run --workers N`)."""
        self.receipts: Receipts | None = None
        self.count: Callable[[str, str, float | None], None] | None = None
        """Told of every reply handed over: platform, result, seconds the platform took (bot/metrics.py)."""

    def register(self, platform: str, send: Sender) -> None:
        self._senders[platform] = send
        self.elsewhere.discard(platform)

    def unregister(self, platform: str) -> None:
        """This process stopped running `platform`; another worker runs it now."""
        self._senders.pop(platform, None)
        self.elsewhere.add(platform)

    def platforms(self) -> tuple[str, ...]:
        return tuple(self._senders)

    async def deliver(self, outbounds: Iterable[Outbound]) -> None:
        for outbound in outbounds:
            await self.hand(outbound)

    async def hand(self, outbound: Outbound, send: Sender | None = None) -> None:
        """Send one reply (with `send`, or its platform's sender), then settle or reschedule it."""
        platform = outbound.recipient.platform
        send = send or self._senders.get(platform)
        if send is None and platform in self.elsewhere and outbound.receipt is not None and self.receipts:
            self._count(platform, "handed_over", None)
            await self.receipts.hand_over(outbound.receipt)
            return
        if send is None:
            log.info("no %s adapter running: a notification was not delivered", platform)
            self._count(platform, "no_adapter", None)
            await self._settle(outbound)
            return
        started = time.perf_counter()
        try:
            answer = await send(outbound)
        except DeliverLater as err:
            log.info("a reply to %s waits for another attempt (%s)", platform, err)
            self._count(platform, "later", None)
            await self._retry_later(outbound)
            return
        except Exception:
            log.exception("a reply to %s could not be delivered", platform)
            self._count(platform, "error", None)
            await self._retry_later(outbound)
            return
        if answer != AWAITING_CONFIRMATION:
            self._count(platform, "sent", time.perf_counter() - started)
            await self._settle(outbound)
        else:
            self._count(platform, "confirming", None)

    def _count(self, platform: str, result: str, seconds: float | None) -> None:
        if self.count is not None:
            self.count(platform, result, seconds)

    async def _settle(self, outbound: Outbound) -> None:
        if outbound.receipt is not None and self.receipts is not None:
            await self.receipts.settle(outbound.receipt)

    async def _retry_later(self, outbound: Outbound) -> None:
        if outbound.receipt is not None and self.receipts is not None:
            await self.receipts.retry_later(outbound.receipt)
