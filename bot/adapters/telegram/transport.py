"""Sending to Telegram within its limits: the pacer shared by replies and broadcasts, and the broadcast transport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from pydantic import BaseModel, ConfigDict

from bot.adapters.telegram import PLATFORM
from bot.adapters.telegram.render import keyboard, to_messages
from bot.broadcasting.transport import PermanentFailure, RateLimited, RecipientBlocked, TemporaryFailure
from bot.pacing import Limiter
from dialogs.messages import Outbound

T = TypeVar("T")


class Pacer:
    """Spaces out sends: at most `per_chat` a second to one chat, `overall` a second in all."""

    def __init__(self, per_chat: float, overall: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.chat_gap = 1.0 / per_chat
        self.overall = Limiter(overall, clock)
        self.clock = clock
        self._chat_next: dict[str, float] = {}

    def _chat_delay(self, chat_id: str) -> float:
        now = self.clock()
        chat_slot = max(now, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = chat_slot + self.chat_gap
        if len(self._chat_next) > 10_000:
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        return chat_slot - now

    async def wait(self, chat_id: str) -> None:
        delay = max(self._chat_delay(chat_id), self.overall.reserve())
        if delay > 0:
            await asyncio.sleep(delay)

    async def wait_for_chat(self, chat_id: str) -> None:
        """Only the gap per chat: for senders that already waited for `overall` themselves."""
        delay = self._chat_delay(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)


class MessageId(BaseModel):
    """The part of Telegram's answer to sendMessage that a broadcast needs."""

    model_config = ConfigDict(extra="ignore")
    message_id: int


class SendBroadcastMessage(SendMessage):
    """aiogram's sendMessage, with the answer read as just the message id.

    Parsing a full `Message` (chat, sender, entities) cost as much as the rest of a send;
    a broadcast to 100,000 people only ever needs the id (measured in bench/broadcast.py).
    """

    __returning__ = MessageId  # type: ignore[assignment] # a narrower answer than aiogram's Message


class TelegramTransport:
    """Broadcast messages through the adapter's client, with Telegram's answers translated.

    Its limiter is the adapter's overall one: replies and broadcasts share Telegram's limit,
    and a retry-after holds both.
    """

    platform = PLATFORM
    supports_edit = True

    def __init__(self, bot: Bot, pacer: Pacer) -> None:
        self.bot = bot
        self.pacer = pacer
        self.limiter = pacer.overall

    async def post(self, outbound: Outbound) -> str | None:
        bot, chat_id = self.bot, outbound.chat_id
        markup = keyboard(outbound.reply)
        message_id = None
        texts = to_messages(outbound.reply)
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            await self.pacer.wait_for_chat(chat_id)
            message = await _translated(
                bot(
                    SendBroadcastMessage.model_validate(
                        {
                            "chat_id": chat_id,
                            "text": text,
                            "parse_mode": "HTML",
                            "reply_markup": markup if last else None,
                        }
                    )
                )
            )
            message_id = str(message.message_id)
        return message_id

    async def edit(self, outbound: Outbound, message_id: str) -> None:
        await self.pacer.wait(outbound.chat_id)
        try:
            await _translated(
                self.bot.edit_message_text(
                    text=to_messages(outbound.reply)[0],
                    chat_id=outbound.chat_id,
                    message_id=int(message_id),
                    parse_mode="HTML",
                    reply_markup=keyboard(outbound.reply),
                )
            )
        except PermanentFailure as err:
            if "not modified" not in str(err):
                raise


async def _translated(call: Awaitable[T]) -> T:
    """Telegram's errors as the broadcast sender's: blocked, slow down, try later, or refused."""
    try:
        return await call
    except TelegramForbiddenError as err:
        raise RecipientBlocked(err.message) from err
    except TelegramRetryAfter as err:
        raise RateLimited(float(err.retry_after)) from err
    except (TelegramNetworkError, TelegramServerError) as err:
        raise TemporaryFailure(type(err).__name__) from err
    except TelegramBadRequest as err:
        if "chat not found" in err.message.lower():
            raise RecipientBlocked(err.message) from err
        raise PermanentFailure(err.message) from err
