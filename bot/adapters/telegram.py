"""Telegram adapter: aiogram as Bot API client and update parser, nothing more.

Updates become `Inbound` events for the engine; replies become HTML messages with
inline keyboards, edited in place where a button was pressed. Long polling by
default; webhook mode on the bot's aiohttp server when TELEGRAM_WEBHOOK_SECRET and
PUBLIC_URL are set. Sends stay within Telegram's limits (per chat and overall),
honour retry_after, retry network errors, and mark residents who blocked the bot.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.adapters.markup import isolate_reply
from bot.adapters.telegram_render import to_messages
from bot.broadcasting.transport import PermanentFailure, RateLimited, RecipientBlocked, TemporaryFailure
from bot.delivery import DeliverLater, Delivery
from bot.pacing import Limiter
from bot.reply_outbox import outbox_for
from bot.supervisor import Supervised
from dialogs import commands, roles
from dialogs.engine import Engine, EngineUnavailable
from dialogs.i18n import Language
from dialogs.messages import Identity, Inbound, InboundKind, Outbound, Reply
from storage.models import Role

log = logging.getLogger(__name__)

PLATFORM = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
RETRIES = 5
ROLE_COMMANDS_INTERVAL = 300.0
"""Seconds between updates of moderators' and staff's command menus (roles change by command)."""
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


@dataclass
class _Origin:
    """Where an update came from, to answer its callback and edit its menu."""

    chat_id: str
    callback: CallbackQuery | None = None
    menu_message_id: int | None = None


class TelegramAdapter:
    def __init__(
        self,
        engine: Engine,
        *,
        token: str,
        api_url: str,
        webhook_secret: str | None = None,
        public_url: str | None = None,
        per_chat_rate: float = 1.0,
        overall_rate: float = 30.0,
        poll_timeout: int = 25,
        delivery: Delivery | None = None,
    ) -> None:
        self.engine = engine
        self.delivery = delivery or Delivery()
        self.delivery.register(PLATFORM, self.send)
        outbox_for(self.delivery, engine)
        self.bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
        self.webhook_secret = webhook_secret
        self.public_url = public_url.rstrip("/") if public_url else None
        self.pacer = Pacer(per_chat_rate, overall_rate)
        self.poll_timeout = poll_timeout
        self.username = ""
        self._poller: Supervised | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._chat_locks: dict[str, asyncio.Lock] = {}

    def transport(self) -> TelegramTransport:
        """For broadcasts: at the overall rate, sharing the limit with the dialogue's replies."""
        return TelegramTransport(self)

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_secret and self.public_url)

    # -- life cycle -------------------------------------------------------------------

    def alive(self) -> bool:
        """Whether updates are received: the polling loop runs (webhook mode: the web server receives them)."""
        return self.webhook_mode or (self._poller is not None and self._poller.alive)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post(WEBHOOK_PATH, self._webhook)

    async def start(self) -> None:
        me = await self._retrying(self.bot.get_me)
        self.username = me.username or ""
        await self._set_commands()
        self._refresher = asyncio.create_task(self._refresh_role_commands_regularly())
        if self.webhook_mode:
            await self._retrying(
                lambda: self.bot.set_webhook(
                    url=f"{self.public_url}{WEBHOOK_PATH}",
                    secret_token=self.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            )
            log.info("Telegram bot @%s: webhook mode", self.username)
        else:
            await self._retrying(lambda: self.bot.delete_webhook(drop_pending_updates=False))
            self._poller = Supervised("telegram-polling", self._poll)
            self._poller.start()
            log.info("Telegram bot @%s: long polling", self.username)

    async def stop(self) -> None:
        if self._poller is not None:
            await self._poller.stop()
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bot.session.close()

    @staticmethod
    def _menu(lang: Language, held: Iterable[Role] = (), *, group: bool = False) -> list[BotCommand]:
        return [BotCommand(command=name, description=text) for name, text in commands.menu(lang, held, group=group)]

    async def refresh_role_commands(self) -> None:
        """Moderators, staff and admins see their commands in their own chat with the bot."""
        store, admins = self.engine.store, self.engine.admins
        for contact, held in await asyncio.to_thread(store.run, lambda tx: roles.holders(tx, admins, PLATFORM)):
            await self._set_chat_commands(contact.chat_id, contact.language, held)

    async def refresh_chat_commands(self, outbound: Outbound) -> None:
        """One person's command menu, at once: their roles changed (the engine marked the notice)."""
        identity, admins = outbound.recipient, self.engine.admins
        found = await asyncio.to_thread(self.engine.store.run, lambda tx: roles.grants(tx, admins, identity))
        await self._set_chat_commands(outbound.chat_id, outbound.reply.language, roles.held(found))

    async def _set_chat_commands(self, chat_id: str, language: str | None, held: set[Role]) -> None:
        """Resident and role commands in one private chat; without a role, the chat's own menu goes."""
        scope = BotCommandScopeChat(chat_id=int(chat_id))
        if not held:
            await self._retrying(partial(self.bot.delete_my_commands, scope))
            return
        menu = self._menu(self.engine.languages.get(language), held)
        await self._retrying(partial(self.bot.set_my_commands, menu, scope))

    async def _refresh_role_commands_regularly(self) -> None:
        while True:
            try:
                await self.refresh_role_commands()
            except Exception:
                log.exception("the command menus of moderators and staff could not be updated")
            await asyncio.sleep(ROLE_COMMANDS_INTERVAL)

    async def _set_commands(self) -> None:
        for lang in self.engine.languages.all():
            if len(lang.code) != 2:  # Telegram takes ISO 639-1 codes only: Leichte Sprache (de@ls) has none
                continue
            resident, group = self._menu(lang), self._menu(lang, group=True)
            codes = (lang.code, None) if lang.code == self.engine.languages.default else (lang.code,)
            for code in codes:
                private_scope, group_scope = BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()
                await self._retrying(partial(self.bot.set_my_commands, resident, private_scope, code))
                await self._retrying(partial(self.bot.set_my_commands, group, group_scope, code))

    # -- receiving ------------------------------------------------------------------------

    async def _poll(self) -> None:
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
            except TelegramRetryAfter as err:
                await asyncio.sleep(err.retry_after)
                continue
            except (TimeoutError, TelegramNetworkError, TelegramServerError) as err:
                log.warning("Telegram getUpdates failed (%s); retrying in %.0f s", type(err).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            for update in updates:
                await self._handle_until_stored(update)
                offset = update.update_id + 1

    async def _handle_until_stored(self, update: Update) -> None:
        """Polling acknowledges an update by asking past it: only once it is stored.

        An update that fails otherwise is logged and skipped: one bad update never stops
        the bot for everyone (nor after a restart, as it would come again)."""
        backoff = 1.0
        while True:
            try:
                await self.handle_update(update)
                return
            except EngineUnavailable:
                log.warning("update %s not stored; retrying in %.0f s", update.update_id, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
            except Exception:
                log.exception("update %s could not be handled; skipped", update.update_id)
                return

    async def _webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        expected = self.webhook_secret or ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return web.Response(status=401, text="wrong secret token")
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except (ValueError, ValidationError):
            return web.Response(status=400, text="not a Telegram update")
        try:
            await self.handle_update(update)
        except EngineUnavailable:
            return web.Response(status=503, text="not stored, please redeliver")
        except Exception:  # redelivering it would fail again: skip it
            log.exception("update %s could not be handled; skipped", update.update_id)
        return web.Response(status=200)

    async def handle_update(self, update: Update) -> None:
        """Store the event through the engine, then deliver the replies in the background."""
        translated = self._translate(update)
        if translated is None:
            return
        inbound, origin = translated
        outbounds = await self.engine.handle(inbound, strict=True)
        if origin.callback is not None:
            self._spawn(self._answer_callback(origin.callback))
        own = [o for o in outbounds if o.recipient == inbound.identity]
        self._spawn(self._deliver(own, origin))
        self._spawn(self.delivery.deliver(o for o in outbounds if o.recipient != inbound.identity))

    def _translate(self, update: Update) -> tuple[Inbound, _Origin] | None:
        event_id = str(update.update_id)
        if update.callback_query is not None:
            query = update.callback_query
            message = query.message if isinstance(query.message, Message) else None
            if message is None or message.chat.type != "private":
                self._spawn(self._answer_callback(query))
                return None
            chat_id = str(message.chat.id)
            inbound = Inbound(
                Identity(PLATFORM, str(query.from_user.id)),
                chat_id,
                event_id,
                InboundKind.BUTTON,
                query.data or "",
                query.from_user.language_code,
            )
            return inbound, _Origin(chat_id, query, message.message_id)
        message = update.message
        if message is None or message.from_user is None:
            return None
        chat_id = str(message.chat.id)
        text = message.text or message.caption or ""  # a photo's caption is what its sender wrote
        if message.chat.type != "private":
            if self._addressed_command(text):
                lang = self.engine.languages.get(message.from_user.language_code)
                self._spawn(self._point_to_private_chat(chat_id, lang))
            return None
        kind = InboundKind.COMMAND if text.startswith("/") else InboundKind.TEXT
        identity = Identity(PLATFORM, str(message.from_user.id))
        inbound = Inbound(identity, chat_id, event_id, kind, text, message.from_user.language_code)
        return inbound, _Origin(chat_id)

    def _addressed_command(self, text: str) -> bool:
        if not text.startswith("/"):
            return False
        command = text.split(maxsplit=1)[0]
        return "@" not in command or command.split("@", 1)[1].lower() == self.username.lower()

    # -- sending ----------------------------------------------------------------------------

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_callback(self, query: CallbackQuery) -> None:
        try:
            await self._retrying(lambda: self.bot.answer_callback_query(query.id))
        except (TelegramBadRequest, TelegramForbiddenError) as err:
            log.info("callback query not answered: %s", err.message)

    async def _point_to_private_chat(self, chat_id: str, lang: Language) -> None:
        text = lang.gettext("I answer in a private chat, so that everyone's ideas stay tidy: {link}")
        link = f"https://t.me/{self.username}?start=group"
        await self._send_text(chat_id, text.format(link=link))

    async def _deliver(self, outbounds: list[Outbound], origin: _Origin) -> None:
        for outbound in outbounds:
            if outbound.recipient.platform == PLATFORM:
                await self.delivery.hand(outbound, partial(self.send, origin=origin))

    async def send(self, outbound: Outbound, origin: _Origin | None = None) -> None:
        """Render one reply, one chat at a time and in order: edit the menu it answers where
        possible, else send it (split if long). A blocked bot marks the resident unreachable.
        Raises `DeliverLater` where Telegram could not be reached: the reply stays kept."""
        lock = self._chat_locks.setdefault(outbound.chat_id, asyncio.Lock())
        async with lock:
            try:
                await self._render(outbound, origin or _Origin(outbound.chat_id))
                if outbound.reply.roles_changed:
                    await self.refresh_chat_commands(outbound)
            except TelegramForbiddenError:
                await self._mark_unreachable(outbound.recipient)
            except TelegramBadRequest as err:
                log.warning("Telegram refused a reply: %s", err.message)
            except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as err:
                raise DeliverLater(type(err).__name__) from err

    async def _render(self, outbound: Outbound, origin: _Origin) -> None:
        reply = outbound.reply
        chat_id = outbound.chat_id
        messages = to_messages(reply)
        markup = _keyboard(reply)
        edit = reply.replaces_menu and origin.menu_message_id is not None and origin.chat_id == chat_id
        if edit and len(messages) == 1 and reply.attachment is None:
            try:
                await self._paced(
                    chat_id,
                    lambda: self.bot.edit_message_text(
                        text=messages[0],
                        chat_id=chat_id,
                        message_id=origin.menu_message_id,
                        parse_mode="HTML",
                        reply_markup=markup,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    ),
                )
                return
            except TelegramBadRequest as err:
                if "not modified" in err.message:
                    return
                log.info("menu could not be edited (%s); sending it anew", err.message)
        for index, text in enumerate(messages):
            last = index == len(messages) - 1
            await self._send_text(chat_id, text, markup if last and reply.attachment is None else None)
        if reply.attachment is not None:
            attachment = reply.attachment
            await self._paced(
                chat_id,
                lambda: self.bot.send_document(
                    chat_id,
                    BufferedInputFile(attachment.content, attachment.filename),
                    reply_markup=markup,
                ),
            )

    async def _send_text(self, chat_id: str, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        await self._paced(
            chat_id,
            lambda: self.bot.send_message(
                chat_id,
                text,
                parse_mode="HTML",
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )

    async def _paced(self, chat_id: str, call: Callable[[], Awaitable[T]]) -> T:
        return await self._retrying(call, before=lambda: self.pacer.wait(chat_id))

    async def _retrying(
        self, call: Callable[[], Awaitable[T]], before: Callable[[], Awaitable[None]] | None = None
    ) -> T:
        """429: wait as told; network and server errors: back off. Other errors are final."""
        backoff = 0.5
        for attempt in range(RETRIES):
            if before is not None:
                await before()
            try:
                return await call()
            except TelegramRetryAfter as err:
                if attempt == RETRIES - 1:
                    raise
                await asyncio.sleep(err.retry_after)
            except (TelegramNetworkError, TelegramServerError):
                if attempt == RETRIES - 1:
                    raise
                await asyncio.sleep(backoff)
                backoff *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    async def _mark_unreachable(self, identity: Identity) -> None:
        store = self.engine.store
        await asyncio.to_thread(
            store.run, lambda tx: tx.set_reachable(identity.platform, identity.user_id, store.now())
        )
        log.info("a Telegram resident blocked the bot; marked unreachable")


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

    def __init__(self, adapter: TelegramAdapter) -> None:
        self.adapter = adapter
        self.limiter = adapter.pacer.overall

    async def post(self, outbound: Outbound) -> str | None:
        bot, chat_id = self.adapter.bot, outbound.chat_id
        markup = _keyboard(outbound.reply)
        message_id = None
        texts = to_messages(outbound.reply)
        for index, text in enumerate(texts):
            last = index == len(texts) - 1
            await self.adapter.pacer.wait_for_chat(chat_id)
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
        await self.adapter.pacer.wait(outbound.chat_id)
        try:
            await _translated(
                self.adapter.bot.edit_message_text(
                    text=to_messages(outbound.reply)[0],
                    chat_id=outbound.chat_id,
                    message_id=int(message_id),
                    parse_mode="HTML",
                    reply_markup=_keyboard(outbound.reply),
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


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    reply = isolate_reply(reply)
    if not reply.buttons:
        return None
    rows = [[InlineKeyboardButton(text=b.label, callback_data=b.payload) for b in row] for row in reply.buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def adapter_kwargs(settings: Any) -> dict[str, Any]:
    """The adapter's settings from the bot's configuration; secrets are unwrapped only here."""
    secret = settings.telegram_webhook_secret
    return {
        "token": settings.telegram_token.get_secret_value(),
        "api_url": settings.telegram_api_url,
        "webhook_secret": secret.get_secret_value() if secret else None,
        "public_url": settings.public_url,
        "overall_rate": settings.telegram_rate,
    }
