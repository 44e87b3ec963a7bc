"""Telegram adapter: aiogram as Bot API client and update parser, nothing more.

Updates become `Inbound` events for the one way in (bot/receive.py); replies become HTML
messages with inline keyboards, edited in place where a button was pressed. Long polling
by default; webhook mode on the bot's aiohttp server when TELEGRAM_WEBHOOK_SECRET and
PUBLIC_URL are set. Sends stay within Telegram's limits (per chat and overall), honour
retry_after, retry network errors, and mark residents who blocked the bot.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

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
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from aiohttp import web
from pydantic import ValidationError

from bot.adapters.protocol import Context
from bot.adapters.telegram import PLATFORM
from bot.adapters.telegram.render import keyboard, to_messages
from bot.adapters.telegram.settings import TelegramSettings
from bot.adapters.telegram.transport import Pacer, TelegramTransport
from bot.delivery import DeliverLater
from bot.receive import kind_of
from bot.retry import FOREVER, retrying
from bot.supervisor import Background, Supervised
from dialogs import commands
from dialogs.engine import EngineUnavailable
from dialogs.i18n import Language
from dialogs.invitations import Invitation
from dialogs.messages import Identity, Inbound, InboundKind, Outbound
from dialogs.payloads import DeepLink
from storage.models import Role

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
RETRIES = 5
TRANSIENT = (TelegramRetryAfter, TelegramNetworkError, TelegramServerError)
ROLE_COMMANDS_INTERVAL = 300.0
"""Seconds between updates of moderators' and staff's command menus (roles change by command)."""
T = TypeVar("T")


@dataclass
class _Origin:
    """Where an update came from, to answer its callback and edit its menu."""

    chat_id: str
    callback: CallbackQuery | None = None
    menu_message_id: int | None = None


class TelegramAdapter:
    platform = PLATFORM

    def __init__(
        self,
        context: Context,
        settings: TelegramSettings,
        *,
        per_chat_rate: float = 1.0,
        poll_timeout: int = 25,
    ) -> None:
        if settings.token is None:
            raise ValueError("Telegram needs TELEGRAM_TOKEN")
        self.context = context
        self.receive = context.receive
        self.port = context.port
        self.languages = context.languages
        context.delivery.register(PLATFORM, self.send)
        # secrets are unwrapped only here
        api = TelegramAPIServer.from_base(settings.api_url)
        self.bot = Bot(settings.token.get_secret_value(), session=AiohttpSession(api=api))
        secret = settings.webhook_secret
        self.webhook_secret = secret.get_secret_value() if secret else None
        self.public_url = context.public_url.rstrip("/") if context.public_url else None
        self.pacer = Pacer(per_chat_rate, settings.rate)
        self.poll_timeout = poll_timeout
        self.username = ""
        self._poller: Supervised | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._background = Background()
        self._spawn = self._background.spawn
        self._chat_locks: dict[str, asyncio.Lock] = {}
        if context.http is not None:
            context.http.router.add_post(WEBHOOK_PATH, self._webhook)

    def invitation(self, link: DeepLink) -> Invitation:
        """A deep link to the bot: Telegram opens the chat, and its Start button sends ``/start idea_42``."""
        return Invitation(url=f"https://t.me/{self.username}?start={link}" if self.username else None)

    def transport(self) -> TelegramTransport:
        """For broadcasts: at the overall rate, sharing the limit with the dialogue's replies."""
        return TelegramTransport(self.bot, self.pacer)

    def describe(self) -> str:
        return f"Telegram @{self.username}"

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_secret and self.public_url)

    # -- life cycle -------------------------------------------------------------------

    def alive(self) -> bool:
        """Whether updates are received: the polling loop runs (webhook mode: the web server receives them)."""
        return self.webhook_mode or (self._poller is not None and self._poller.alive)

    async def start(self) -> None:
        me = await self._retrying(self.bot.get_me)
        self.username = me.username or ""
        self.context.invitations.offer(PLATFORM, self.invitation)
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
        await self._background.finish()
        await self.bot.session.close()

    @staticmethod
    def _menu(lang: Language, held: Iterable[Role] = (), *, group: bool = False) -> list[BotCommand]:
        return [BotCommand(command=name, description=text) for name, text in commands.menu(lang, held, group=group)]

    async def refresh_role_commands(self) -> None:
        """Moderators, staff and admins see their commands in their own chat with the bot."""
        for contact, held in await self.port.role_holders(PLATFORM):
            await self._set_chat_commands(contact.chat_id, contact.language, held)

    async def refresh_chat_commands(self, outbound: Outbound) -> None:
        """One person's command menu, at once: their roles changed (the engine marked the notice)."""
        held = await self.port.roles_of(outbound.recipient)
        await self._set_chat_commands(outbound.chat_id, outbound.reply.language, held)

    async def _set_chat_commands(self, chat_id: str, language: str | None, held: set[Role]) -> None:
        """Resident and role commands in one private chat; without a role, the chat's own menu goes."""
        scope = BotCommandScopeChat(chat_id=int(chat_id))
        if not held:
            await self._retrying(partial(self.bot.delete_my_commands, scope))
            return
        menu = self._menu(self.languages.get(language), held)
        await self._retrying(partial(self.bot.set_my_commands, menu, scope))

    async def _refresh_role_commands_regularly(self) -> None:
        while True:
            try:
                await self.refresh_role_commands()
            except Exception:
                log.exception("the command menus of moderators and staff could not be updated")
            await asyncio.sleep(ROLE_COMMANDS_INTERVAL)

    async def _set_commands(self) -> None:
        for lang in self.languages.all():
            if len(lang.code) != 2:  # Telegram takes ISO 639-1 codes only: Leichte Sprache (de@ls) has none
                continue
            resident, group = self._menu(lang), self._menu(lang, group=True)
            codes = (lang.code, None) if lang.code == self.languages.default else (lang.code,)
            for code in codes:
                private_scope, group_scope = BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()
                await self._retrying(partial(self.bot.set_my_commands, resident, private_scope, code))
                await self._retrying(partial(self.bot.set_my_commands, group, group_scope, code))

    # -- receiving ------------------------------------------------------------------------

    async def _poll(self) -> None:
        """Polling acknowledges an update by asking past it: only once it is stored (or skipped)."""
        offset: int | None = None
        while True:
            updates = await retrying(
                partial(
                    self.bot.get_updates, offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                ),
                on=(TimeoutError, *TRANSIENT),
                attempts=FOREVER,
                what="Telegram getUpdates",
            )
            for update in updates:
                await self.receive.until_stored(partial(self.handle_update, update), f"update {update.update_id}")
                offset = update.update_id + 1

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
        """Store the event through the one way in; the replies go out in the background."""
        translated = self._translate(update)
        if translated is None:
            return
        inbound, origin = translated
        await self.receive(inbound, partial(self.send, origin=origin), spawn=self._spawn)
        if origin.callback is not None:
            self._spawn(self._answer_callback(origin.callback))

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
                lang = self.languages.get(message.from_user.language_code)
                self._spawn(self._point_to_private_chat(chat_id, lang))
            return None
        identity = Identity(PLATFORM, str(message.from_user.id))
        inbound = Inbound(identity, chat_id, event_id, kind_of(text), text, message.from_user.language_code)
        return inbound, _Origin(chat_id)

    def _addressed_command(self, text: str) -> bool:
        if not text.startswith("/"):
            return False
        command = text.split(maxsplit=1)[0]
        return "@" not in command or command.split("@", 1)[1].lower() == self.username.lower()

    # -- sending ----------------------------------------------------------------------------

    async def _answer_callback(self, query: CallbackQuery) -> None:
        try:
            await self._retrying(lambda: self.bot.answer_callback_query(query.id))
        except (TelegramBadRequest, TelegramForbiddenError) as err:
            log.info("callback query not answered: %s", err.message)

    async def _point_to_private_chat(self, chat_id: str, lang: Language) -> None:
        text = lang.gettext("I answer in a private chat, so that everyone's ideas stay tidy: {link}")
        link = f"https://t.me/{self.username}?start=group"
        await self._send_text(chat_id, text.format(link=link))

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
                await self.port.mark_unreachable(outbound.recipient)
                log.info("a Telegram resident blocked the bot; marked unreachable")
            except TelegramBadRequest as err:
                log.warning("Telegram refused a reply: %s", err.message)
            except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as err:
                raise DeliverLater(type(err).__name__) from err

    async def _render(self, outbound: Outbound, origin: _Origin) -> None:
        reply = outbound.reply
        chat_id = outbound.chat_id
        messages = to_messages(reply)
        markup = keyboard(reply)
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

    @staticmethod
    async def _retrying(call: Callable[[], Awaitable[T]], before: Callable[[], Awaitable[None]] | None = None) -> T:
        """429: wait as told; network and server errors: back off. Other errors are final."""
        return await retrying(call, on=TRANSIENT, attempts=RETRIES, first=0.5, longest=8.0, before=before)
