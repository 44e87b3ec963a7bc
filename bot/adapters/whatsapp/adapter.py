"""WhatsApp adapter: the Cloud API's webhook in, its messages endpoint out, nothing more.

WhatsApp has no polling: Meta posts every message and status to the bot's web server
(``/whatsapp/webhook``). A call is checked by its signature before it is read, and
answered 200 only once its events are stored, so that WhatsApp redelivers what the store
could not take. Each message id is handled once (the engine claims it); messages become
`Inbound`s for the one way in (bot/receive.py), statuses update the broadcast figures.

Replies go out as WhatsApp messages (render.py) at WHATSAPP_RATE, shared with broadcasts.
Within 24 hours of the person's last message anything may be sent; after that only the
approved news template (WHATSAPP_TEMPLATE_NEWS), or nothing: a notification then waits
until the person writes again. Phone numbers appear in logs only as a short hash.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TypeVar

from aiohttp import web

from bot.adapters.protocol import Context
from bot.adapters.whatsapp import PLATFORM
from bot.adapters.whatsapp.api import (
    ApiError,
    BadToken,
    CloudApi,
    Refused,
    Throttled,
    Unavailable,
    Undeliverable,
    WindowClosed,
    who,
)
from bot.adapters.whatsapp.render import (
    MAX_ROWS,
    Message,
    escape,
    options_message,
    page_of,
    pages,
    shorten,
    to_messages,
)
from bot.adapters.whatsapp.settings import WhatsAppSettings
from bot.adapters.whatsapp.transport import WhatsAppTransport
from bot.adapters.whatsapp.webhook import SIGNATURE_HEADER, Status, challenge, deep_link, parse, signed
from bot.adapters.whatsapp.webhook import Message as Incoming
from bot.adapters.whatsapp.window import CLOSED_KEY, is_open
from bot.delivery import DeliverLater
from bot.pacing import Limiter
from bot.receive import kind_of
from bot.retry import retrying
from bot.supervisor import Background
from dialogs.engine import EngineUnavailable
from dialogs.i18n import N_
from dialogs.invitations import Invitation
from dialogs.messages import (
    Block,
    Identity,
    Inbound,
    InboundKind,
    Outbound,
    Reply,
    Span,
    reply_from_data,
    reply_to_data,
)
from dialogs.payloads import DeepLink
from storage.models import OutboxStatus

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/whatsapp/webhook"
MAX_CALL = 4 * 1024 * 1024
"""Largest webhook call read (a batch of many statuses during a broadcast is larger than a chat frame)."""
RETRIES = 6
"""Attempts per message: enough to wait out WhatsApp's limit to one person (about six seconds)."""
MENU_KEY = "whatsapp.menu:"
"""+ the person's WhatsApp id: the last reply with more than ten options, for its next pages."""
TEMPLATE_TEXT = 900
"""Characters of a message that fit the news template's parameter (WhatsApp allows 1,024 for the body)."""
LOOK_AGAIN = (0.2, 0.5, 1.0, 1.5, 2.0)
"""Pauses (seconds) before a failure report is matched again to a broadcast message that the sender
had not recorded yet (a reply is none): WhatsApp may report before the sender records."""
NOTIFICATION = "notification:"
"""+ a random token: a notification sent within the window is kept under this key (table
platform_message) from before it goes until WhatsApp reports on it. The key goes with its first
message as ``biz_opaque_callback_data``, which WhatsApp returns with each status of that message:
so any worker process that gets the report finds the notification, however early the report comes."""
NOT_UNDERSTOOD = N_("Sorry, I did not understand that. Please choose one of the options below, or send /help.")
T = TypeVar("T")


def event_id(message_id: str) -> str:
    """A WhatsApp message id as the store keeps it: a hash, since the id encodes the phone number."""
    return "wa:" + hashlib.sha256(message_id.encode()).hexdigest()[:40]


class WhatsAppAdapter:
    platform = PLATFORM

    def __init__(self, context: Context, settings: WhatsAppSettings) -> None:
        if settings.token is None or settings.phone_number_id is None:
            raise ValueError("WhatsApp needs WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID")
        self.receive = context.receive
        self.port = context.port
        self.languages = context.languages
        self.invitations = context.invitations
        context.delivery.register(PLATFORM, self.send)
        # secrets are unwrapped only here
        self.api = CloudApi(settings.api_url, settings.phone_number_id, settings.token.get_secret_value())
        self.phone_number_id = settings.phone_number_id
        self._app_secret = settings.app_secret.get_secret_value() if settings.app_secret else ""
        self._verify_token = settings.verify_token.get_secret_value() if settings.verify_token else ""
        self.template = settings.template_news
        self.template_language = settings.template_language
        self.limiter = Limiter(settings.rate)
        """WHATSAPP_RATE, shared by replies and broadcasts."""
        self.number = ""
        self._background = Background()
        self._spawn = self._background.spawn
        self._chat_locks: dict[str, asyncio.Lock] = {}
        if context.http is not None:
            context.http.router.add_get(WEBHOOK_PATH, self._verify)
            context.http.router.add_post(WEBHOOK_PATH, self._webhook)

    # -- life cycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the token and the number's id: a wrong one stops the bot at once, naming the setting."""
        self.number = await retrying(self.api.display_number, on=(Unavailable,), attempts=4, first=1.0, longest=8.0)
        self.invitations.offer(PLATFORM, self.invitation)
        log.info("WhatsApp %s: webhook %s", self.number, WEBHOOK_PATH)

    def invitation(self, link: DeepLink) -> Invitation:
        """A chat with the bot's number, its first message ``idea_42`` typed in (webhook.py `deep_link`)."""
        digits = "".join(char for char in self.number if char.isascii() and char.isdigit())
        return Invitation(url=f"https://wa.me/{digits}?text={link}" if digits else None)

    async def stop(self) -> None:
        await self._background.finish()
        await self.api.close()

    def alive(self) -> None:
        """No loop of its own: WhatsApp posts to the web server, which answers `/readyz` itself."""

    def describe(self) -> str:
        return f"WhatsApp {self.number}".strip()

    def transport(self) -> WhatsAppTransport:
        return WhatsAppTransport(self)

    # -- the webhook ---------------------------------------------------------------------------------

    async def _verify(self, request: web.Request) -> web.Response:
        """Meta's check when the webhook is set up: the verify token, echoed challenge, as plain text."""
        answer = challenge(request.query, self._verify_token)
        if answer is None:
            return web.Response(status=403)
        return web.Response(text=answer, content_type="text/plain")

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.content.read(MAX_CALL + 1)
        if len(body) > MAX_CALL:
            return web.Response(status=413)
        if not signed(body, request.headers.get(SIGNATURE_HEADER), self._app_secret):
            return web.Response(status=401)
        call = parse(body, self.phone_number_id)
        if call is None:
            log.warning("a signed webhook call that is no WhatsApp call was ignored")
            return web.Response(status=200)
        try:
            for message in call.messages:
                await self._take_once(message)
            for status in call.statuses:
                await self._follow(status)
        except EngineUnavailable:
            return web.Response(status=503)
        except Exception:  # a status not recorded: following it again changes nothing twice
            log.exception("a WhatsApp status could not be recorded; asking for the call again")
            return web.Response(status=503)
        return web.Response(status=200)

    async def _take_once(self, message: Incoming) -> None:
        """An outage of the store is raised (WhatsApp redelivers); any other failure skips this message,
        since it would fail again with every redelivery."""
        try:
            await self._take(message)
        except EngineUnavailable:
            raise
        except Exception:
            log.exception("a WhatsApp message could not be handled; skipped")

    async def _take(self, message: Incoming) -> None:
        identity = Identity(PLATFORM, message.wa_id)
        if message.kind == "choice":
            page = page_of(message.text)
            if page is not None and await self._turn_page(identity, message.message_id, page):
                return
            inbound = Inbound(
                identity,
                message.wa_id,
                event_id(message.message_id),
                InboundKind.BUTTON,
                message.text,
                likely_language(message.wa_id),
            )
            await self.receive(inbound, self._answer, spawn=self._spawn)
        elif message.kind == "text":
            text = deep_link(message.text) or message.text
            kind = kind_of(text)
            hint = likely_language(message.wa_id)
            inbound = Inbound(identity, message.wa_id, event_id(message.message_id), kind, text.strip(), hint)
            await self.receive(inbound, self._answer, spawn=self._spawn)
        else:
            # a picture, a voice message, a location …: the menu where they are, and a word why
            hint = likely_language(message.wa_id)
            inbound = Inbound(identity, message.wa_id, event_id(message.message_id), InboundKind.RESUME, "", hint)
            await self.receive(inbound, self._answer_not_understood, spawn=self._spawn)
        self._spawn(self._mark_read(message.message_id))
        waiting = await self.port.take_notices(identity)
        if waiting:
            self._spawn(self._hand_waiting(identity, waiting))

    async def _answer(self, outbound: Outbound) -> None:
        await self.send(outbound, answering=True)

    async def _answer_not_understood(self, outbound: Outbound) -> None:
        lang = self.languages.get(outbound.reply.language)
        note = Block((Span(lang.gettext(NOT_UNDERSTOOD)),))
        await self._answer(replace(outbound, reply=replace(outbound.reply, blocks=(note, *outbound.reply.blocks))))

    async def _hand_waiting(self, identity: Identity, waiting: list[dict[str, object]]) -> None:
        """Notifications kept while the window was closed: the person wrote, so they may go now."""
        for data in waiting:
            await self.send(Outbound(identity, identity.user_id, reply_from_data(data)))

    async def _turn_page(self, identity: Identity, message_id: str, page: int) -> bool:
        """ "Weitere" / "Zurück" in a list of more than ten options: the page, from the kept reply.
        False where there is no such page (a made-up or stale id): the engine answers that."""
        kept = await self.port.value(MENU_KEY + identity.user_id)
        if kept is None:
            return False
        reply = reply_from_data(json.loads(kept))
        options = reply.all_buttons()
        if len(options) <= MAX_ROWS or page >= len(pages(options)):
            return False
        if await self.port.claim_event(PLATFORM, event_id(message_id)):  # redelivered: no page twice
            _ = self.languages.get(reply.language).gettext
            message = options_message("", options, _, page=page)
            self._spawn(self._paged(identity, message))
        return True

    async def _paged(self, identity: Identity, message: Message) -> None:
        try:
            await self._send_one(identity.user_id, message)
        except ApiError as err:
            log.info("a page of options to %s was not sent (%s)", who(identity.user_id), type(err).__name__)

    async def _mark_read(self, message_id: str) -> None:
        try:
            await self.api.mark_read(message_id)
        except ApiError as err:
            log.debug("a message could not be marked as read (%s)", type(err).__name__)

    async def _follow(self, status: Status) -> None:
        """A status of a message sent: a notification's settles it; only failures change anything else
        (the figures, the window, reachability)."""
        notification = status.callback.startswith(NOTIFICATION)
        if notification and status.status in ("delivered", "read", "failed") and 131047 not in status.codes:
            await self.port.take_message(PLATFORM, status.callback)  # it reached them, or never will
        if status.status != "failed" or not status.wa_id.isdigit():
            return
        identity = Identity(PLATFORM, status.wa_id)
        if 131047 in status.codes:
            # not for someone erased meanwhile: nothing about them stays
            if await self.port.keep_value_for(identity, CLOSED_KEY + status.wa_id, self.port.now().isoformat()):
                log.info("a message to %s came after the 24-hour window", who(status.wa_id))
        elif 131026 in status.codes:
            await self.port.mark_unreachable(identity)
            log.info("WhatsApp cannot deliver to %s; marked unreachable", who(status.wa_id))
        else:
            log.warning("WhatsApp reported a message to %s as failed (codes %s)", who(status.wa_id), status.codes)
        if notification:
            if 131047 in status.codes:
                await self._misjudged(status.callback)
        elif not await self._count_in_broadcast(status):
            # WhatsApp may report before the sender recorded the send: look again shortly
            self._spawn(self._count_later(status))

    async def _misjudged(self, key: str) -> None:
        """A notification sent in a window that had closed: as the template, or kept for their next message.
        Taken from the store first, so that of a report delivered twice (or to two processes) one acts;
        gone where it was acted on already or its recipient was erased meanwhile."""
        notification = await self.port.take_message(PLATFORM, key)
        if notification is None:
            return
        wa_id = str(notification["recipient"])
        reply = reply_from_data(notification["reply"])
        identity = Identity(PLATFORM, wa_id)
        try:
            await self._outside_window(Outbound(identity, wa_id, reply))
        except ApiError as err:
            log.info("the template for %s could not go (%s); the notification waits", who(wa_id), type(err).__name__)
            await self.port.keep_notice(identity, reply_to_data(reply))

    async def _count_in_broadcast(self, status: Status) -> bool:
        """The failure in its broadcast's figures; with a template, a closed window's message goes again as one.
        False where no broadcast message has this id (yet)."""
        if 131047 in status.codes and self.template is not None:
            return await self.port.broadcast_send_again(PLATFORM, status.message_id)
        counted = OutboxStatus.FAILED
        if 131047 in status.codes:
            counted = OutboxStatus.NO_WINDOW
        elif 131026 in status.codes:
            counted = OutboxStatus.UNREACHABLE
        return await self.port.broadcast_not_delivered(PLATFORM, status.message_id, counted)

    async def _count_later(self, status: Status) -> None:
        for pause in LOOK_AGAIN:
            await asyncio.sleep(pause)
            if await self._count_in_broadcast(status):
                return

    # -- sending ---------------------------------------------------------------------------------------

    async def window_open(self, identity: Identity) -> bool:
        last, closed = await self.port.last_message_at(identity, CLOSED_KEY + identity.user_id)
        return is_open(last, datetime.fromisoformat(closed) if closed else None, self.port.now())

    def template_message(self, reply: Reply) -> Message:
        """The approved news template, with the message's text as its one parameter."""
        text = " ".join(block.text for block in reply.blocks)
        parameter = escape(shorten(text, TEMPLATE_TEXT)) or "…"
        return {
            "type": "template",
            "template": {
                "name": self.template,
                "language": {"code": self.template_language},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": parameter}]}],
            },
        }

    async def send(self, outbound: Outbound, *, answering: bool = False) -> None:
        """One reply, one chat at a time and in order. Raises `DeliverLater` where WhatsApp could not
        take it now: the reply stays kept. A message WhatsApp refused as invalid is our bug: logged
        (by its shape), not tried again. `answering`: the recipient just wrote (their window is open,
        even where the store no longer knows them: the confirmation that their data was deleted)."""
        lock = self._chat_locks.setdefault(outbound.chat_id, asyncio.Lock())
        async with lock:
            try:
                if answering:
                    await self._render(outbound)
                elif await self.window_open(outbound.recipient):
                    await self._notify(outbound)
                else:
                    await self._outside_window(outbound)
            except WindowClosed:
                await self._outside_window(outbound)
            except Undeliverable:
                await self.port.mark_unreachable(outbound.recipient)
                log.info("WhatsApp cannot deliver to %s; marked unreachable", who(outbound.recipient.user_id))
            except Refused:
                pass  # logged with the message's shape by the client
            except (Throttled, Unavailable, BadToken) as err:
                raise DeliverLater(type(err).__name__) from err

    async def _notify(self, outbound: Outbound) -> None:
        """A notification within the window, kept until WhatsApp reports on it (a late 131047 means the
        window was misjudged). Kept before it goes, and only while the store knows the recipient: someone
        erased meanwhile gets nothing, and nothing about them is stored."""
        recipient = outbound.recipient
        key = NOTIFICATION + secrets.token_urlsafe(16)
        kept = {"recipient": recipient.user_id, "reply": reply_to_data(outbound.reply)}
        if not await self.port.remember_message_to(recipient, key, kept):
            log.info("a notification for %s was not sent: they are no longer known", who(recipient.user_id))
            return
        try:
            await self._render(outbound, callback=key)
        except ApiError:
            await self.port.take_message(PLATFORM, key)  # WhatsApp did not take it: no report will come
            raise

    async def _outside_window(self, outbound: Outbound) -> None:
        """More than 24 hours since they wrote: the news template, else the notice waits for their next message."""
        to = outbound.recipient.user_id
        if self.template is not None:
            await self._send_one(to, self.template_message(outbound.reply))
            return
        if await self.port.keep_notice(outbound.recipient, reply_to_data(outbound.reply)):
            log.info("a notification for %s waits until they write again (24-hour window)", who(to))

    async def _render(self, outbound: Outbound, *, callback: str | None = None) -> None:
        """Sends the reply as WhatsApp messages; `callback` goes with the first, and comes back with its statuses."""
        reply = outbound.reply
        to = outbound.recipient.user_id
        messages = to_messages(reply, self.languages.get(reply.language).gettext)
        if reply.attachment is not None:
            attachment = reply.attachment
            media = await self._retrying(
                partial(self.api.upload, attachment.filename, attachment.mime_type, attachment.content)
            )
            document: Message = {"type": "document", "document": {"id": media, "filename": attachment.filename}}
            at = len(messages) - 1 if messages[-1].get("type") == "interactive" else len(messages)
            messages.insert(at, document)
        if callback is not None:
            messages[0] = {**messages[0], "biz_opaque_callback_data": callback}
        if len(reply.all_buttons()) > MAX_ROWS:
            data = json.dumps(reply_to_data(reply), ensure_ascii=False)
            await self.port.keep_value(MENU_KEY + to, data)
        for message in messages:
            await self._send_one(to, message)

    async def _send_one(self, to: str, message: Message) -> str:
        return await self._retrying(partial(self.api.send, to, message), before=self.limiter.wait)

    @staticmethod
    async def _retrying(call: Callable[[], Awaitable[T]], before: Callable[[], Awaitable[None]] | None = None) -> T:
        """Too many (in all, or to this person): wait as WhatsApp asks; server and network errors: back off."""
        return await retrying(
            call, on=(Throttled, Unavailable), attempts=RETRIES, first=0.5, longest=8.0, before=before
        )


LANGUAGE_OF_CALLING_CODE = {
    **dict.fromkeys(("49", "43", "41", "423"), "de"),
    **dict.fromkeys(("44", "353", "1"), "en"),
    "90": "tr",
    "380": "uk",
    **dict.fromkeys(
        ("20", "212", "213", "216", "218", "961", "962", "963", "964", "965", "966", "967", "968", "971", "974"), "ar"
    ),
}


def likely_language(wa_id: str) -> str | None:
    """A weak hint only: the country of the phone number (a Turkish number may belong to a German speaker).

    It decides which language first contact offers first; the resident's choice always wins."""
    for length in (3, 2, 1):
        found = LANGUAGE_OF_CALLING_CODE.get(wa_id[:length])
        if found is not None:
            return found
    return None
