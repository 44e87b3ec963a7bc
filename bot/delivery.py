"""Hands each `Outbound` to the adapter of its platform.

An event on one platform can concern people on another: a moderator approves on
Telegram, the author submitted in the web chat. Every adapter registers how it sends,
and passes on what is not for the person it is talking to.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from dialogs.messages import Outbound

log = logging.getLogger(__name__)

Sender = Callable[[Outbound], Awaitable[None]]


class Delivery:
    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, platform: str, send: Sender) -> None:
        self._senders[platform] = send

    async def deliver(self, outbounds: Iterable[Outbound]) -> None:
        for outbound in outbounds:
            send = self._senders.get(outbound.recipient.platform)
            if send is None:
                log.info("no %s adapter running: a notification was not delivered", outbound.recipient.platform)
                continue
            try:
                await send(outbound)
            except Exception:
                log.exception("a notification to %s could not be delivered", outbound.recipient.platform)
