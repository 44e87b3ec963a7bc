"""Broadcasts to WhatsApp: at WHATSAPP_RATE (shared with the replies), within the 24-hour window or
as the approved news template, with WhatsApp's answers turned into the broadcast sender's terms."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.adapters.whatsapp import PLATFORM
from bot.adapters.whatsapp.api import BadToken, Refused, Throttled, Unavailable, Undeliverable, WindowClosed
from bot.adapters.whatsapp.render import to_messages
from bot.broadcasting.transport import (
    OutsideWindow,
    PermanentFailure,
    RateLimited,
    RecipientBlocked,
    TemporaryFailure,
)
from dialogs.messages import Outbound

if TYPE_CHECKING:
    from bot.adapters.whatsapp.adapter import WhatsAppAdapter

PAIR_RETRIES = 2
"""Waits for one person's limit (131056) within a send, before the row is tried again later."""


class WhatsAppTransport:
    platform = PLATFORM
    supports_edit = False
    """WhatsApp cannot edit a message: the author's progress comes as a first and a final message."""

    def __init__(self, adapter: WhatsAppAdapter) -> None:
        self.adapter = adapter
        self.limiter = adapter.limiter

    async def post(self, outbound: Outbound) -> str | None:
        adapter, to = self.adapter, outbound.recipient.user_id
        if not await adapter.window_open(outbound.recipient):
            if adapter.template is None:
                raise OutsideWindow()
            return await self._send(to, [adapter.template_message(outbound.reply)])
        gettext = adapter.languages.get(outbound.reply.language).gettext
        return await self._send(to, to_messages(outbound.reply, gettext))

    async def _send(self, to: str, messages: list[dict[str, object]]) -> str | None:
        message_id = None
        for index, message in enumerate(messages):
            if index:  # the first went in the sender's slot; the others take slots of their own
                await self.limiter.wait()
            message_id = await self._send_one(to, message)
        return message_id

    async def _send_one(self, to: str, message: dict[str, object]) -> str:
        for attempt in range(PAIR_RETRIES + 1):
            try:
                return await self.adapter.api.send(to, message)
            except Throttled as err:
                if err.code != 131056:  # the number's throughput: everyone waits
                    raise RateLimited(err.retry_after) from err
                if attempt == PAIR_RETRIES:  # this person only: their row waits, the others go on
                    raise TemporaryFailure("too many messages to one person") from err
                await asyncio.sleep(err.retry_after)
            except (Unavailable, BadToken) as err:
                raise TemporaryFailure(type(err).__name__) from err
            except Undeliverable as err:
                raise RecipientBlocked(str(err)) from err
            except WindowClosed as err:
                raise OutsideWindow() from err
            except Refused as err:
                raise PermanentFailure(str(err)) from err
        raise AssertionError("unreachable")  # pragma: no cover

    async def edit(self, outbound: Outbound, message_id: str) -> None:
        raise PermanentFailure("WhatsApp messages cannot be edited")
