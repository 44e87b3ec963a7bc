"""The bot's aiohttp server: the web chat over a WebSocket, and a health endpoint.

The web adapter translates only: a WebSocket frame becomes an `Inbound`, each
`Outbound` a JSON frame. It also guards the transport: session cookie, Origin,
message size and pace: only sessions the server signed open a socket, and each
client address may start only so many new sessions an hour.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMsgType, web

from bot.adapters.markup import isolate_reply
from bot.delivery import AWAITING_CONFIRMATION, Delivery
from bot.pacing import Limiter
from bot.reply_outbox import outbox_for
from bot.web import dashboard, session
from bot.web.clients import Network, NewSessionLimit, client_address
from bot.web.page import (
    MAX_TEXT,
    negotiate,
    render_limited,
    render_page,
    setup_templates,
    town_static,
    ui_strings,
    welcome_line,
)
from bot.web.ratelimit import RateLimiter
from dialogs.engine import Engine
from dialogs.messages import (
    Button,
    Identity,
    Inbound,
    InboundKind,
    Outbound,
    Receipt,
    Reply,
    reply_from_data,
    reply_to_data,
)
from storage import platform_state

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_FRAME = 64 * 1024
ENGINE_KEY = web.AppKey("engine", Engine)
DELIVERY_KEY = web.AppKey("delivery", Delivery)
OPEN_CHATS_KEY = web.AppKey("open_chats", dict)
CONFIG_KEY = web.AppKey("web_config", dict)
LIMITER_KEY = web.AppKey("limiter", RateLimiter)
_FINISHING: set[asyncio.Future[None]] = set()
"""Work that must outlive a cancelled socket handler (kept here so that it is not collected)."""
MAX_UNCONFIRMED = 50
CONFIRMATION = "received"
_PAGE_EVENT_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")
_MENU_TOKEN = re.compile(r"\d+\.\d+")
"""A button of the menu on the resident's screen (the engine's payload for it); others stand alone."""
MAX_ECHO = 200
"""The frame a page sends once it showed a reply that carried a receipt."""
SESSIONS_KEY = web.AppKey("sessions", session.Sessions)
NEW_SESSIONS_KEY = web.AppKey("new_sessions", NewSessionLimit)
LOOPS_KEY = web.AppKey("loops", dict)
"""The receive loops `/readyz` reports on: name -> whether it runs."""

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


SERVER_NAME = "Mitmach-Bot"
"""The Server header: names no framework and no version."""


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response the app sends: pages, redirects, errors (404, 405, a refused socket's 403)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Server"] = SERVER_NAME


async def close_open_chats(app: web.Application) -> None:
    """At shutdown, close every page's socket at once (1001: going away); the pages reconnect.

    An event a socket's handler has begun still finishes: the server waits for the handlers.
    """
    chats = [chat for chats in app[OPEN_CHATS_KEY].values() for chat in chats]
    await asyncio.gather(
        *(chat.socket.close(code=WSCloseCode.GOING_AWAY, message=b"server restart") for chat in chats),
        return_exceptions=True,
    )


def create_app(
    engine: Engine,
    *,
    public_url: str | None = None,
    limiter: RateLimiter | None = None,
    delivery: Delivery | None = None,
    session_secret: str | None = None,
    new_sessions: NewSessionLimit | None = None,
    trusted_proxies: Sequence[Network] = (),
    template_dir: Path | None = None,
) -> web.Application:
    """The web chat, health and dashboard routes.

    Without `session_secret`, sessions are signed with the secret kept in the store.
    `new_sessions` limits new sessions per client address (20 an hour by default);
    `trusted_proxies` are the reverse proxies whose X-Forwarded-For is believed;
    `template_dir` holds a town's own templates (and its static/ files, served under /static/town/).
    """
    app = web.Application(client_max_size=MAX_FRAME)
    app.on_response_prepare.append(security_headers)
    app.on_shutdown.append(close_open_chats)
    app[ENGINE_KEY] = engine
    app[DELIVERY_KEY] = delivery or Delivery()
    outbox_for(app[DELIVERY_KEY], engine)
    app[OPEN_CHATS_KEY] = {}
    app[DELIVERY_KEY].register(session.PLATFORM, partial(_send_to_open_pages, app))
    app[CONFIG_KEY] = {
        "public_url": public_url.rstrip("/") if public_url else None,
        "trusted_proxies": tuple(trusted_proxies),
    }
    app[LIMITER_KEY] = limiter or RateLimiter()
    app[SESSIONS_KEY] = session.Sessions(session_secret or session.stored_secret(engine.store))
    app[NEW_SESSIONS_KEY] = new_sessions or NewSessionLimit()
    app.router.add_get("/", chat_page)
    app.router.add_get("/ws", chat_socket)
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    app[LOOPS_KEY] = {}
    dashboard.add_routes(app, ENGINE_KEY, _secure)
    setup_templates(app, template_dir)
    own_static = town_static(template_dir)
    if own_static is not None:
        app.router.add_static("/static/town/", own_static, show_index=False, append_version=False)
    app.router.add_static("/static/", STATIC, show_index=False, append_version=False)
    return app


def _secure(request: web.Request) -> bool:
    public_url = request.app[CONFIG_KEY]["public_url"]
    return bool(public_url and public_url.startswith("https://")) or request.secure


def _expected_origin(request: web.Request) -> str:
    public_url = request.app[CONFIG_KEY]["public_url"]
    if public_url:
        parts = urlsplit(public_url)
        return f"{parts.scheme}://{parts.netloc}"
    return f"{request.scheme}://{request.host}"


async def chat_page(request: web.Request) -> web.Response:
    """The chat page; a browser without a valid session gets a new one, within the limit of its address."""
    engine = request.app[ENGINE_KEY]
    lang = negotiate(request.headers.get("Accept-Language", ""), engine.languages)
    sessions = request.app[SESSIONS_KEY]
    has_session = await _known_session(request, request.cookies.get(session.COOKIE))
    if not has_session:
        trusted = request.app[CONFIG_KEY]["trusted_proxies"]
        address = client_address(request.remote, request.headers.getall("X-Forwarded-For", []), trusted)
        if not request.app[NEW_SESSIONS_KEY].allow(address):
            refusal = render_limited(aiohttp_jinja2.get_env(request.app), engine.content, lang)
            limited = web.Response(text=refusal, status=429, content_type="text/html", charset="utf-8")
            limited.headers["Cache-Control"] = "no-store"
            return limited
    page = render_page(aiohttp_jinja2.get_env(request.app), engine.content, lang)
    response = web.Response(text=page, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    if not has_session:
        response.set_cookie(
            session.COOKIE,
            sessions.issue(),
            max_age=session.MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=_secure(request),
            path="/",
        )
    return response


async def _known_session(request: web.Request, token: str | None) -> bool:
    """A session this server signed, or an unsigned one of an earlier version whose resident exists."""
    if request.app[SESSIONS_KEY].is_valid(token):
        return True
    if token is None or not session.is_legacy(token):
        return False
    store = request.app[ENGINE_KEY].store
    identity = session.identity_for(token)
    found = await asyncio.to_thread(store.run, lambda tx: tx.load_resident(identity.platform, identity.user_id))
    return found is not None


async def health(request: web.Request) -> web.Response:
    engine = request.app[ENGINE_KEY]
    try:
        engine.store.ping()
    except Exception:
        log.exception("health check: store not reachable")
        return web.json_response({"status": "unavailable"}, status=503)
    return web.json_response({"status": "ok"})


def watch_loop(app: web.Application, name: str, alive: Callable[[], bool]) -> None:
    """Let `/readyz` report on a platform's receive loop."""
    app[LOOPS_KEY][name] = alive


async def ready(request: web.Request) -> web.Response:
    """200 when the store answers and every configured platform's receive loop runs; else 503 naming what is down."""
    engine = request.app[ENGINE_KEY]
    down: list[str] = []
    try:
        await asyncio.to_thread(engine.store.ping)
    except Exception:
        log.exception("readiness check: store not reachable")
        down.append("store")
    loops: dict[str, Callable[[], bool]] = request.app[LOOPS_KEY]
    down.extend(name for name, alive in loops.items() if not alive())
    if down:
        return web.json_response({"status": "unavailable", "down": down}, status=503)
    return web.json_response({"status": "ok", "loops": sorted(loops)})


async def chat_socket(request: web.Request) -> web.StreamResponse:
    if request.headers.get("Origin") != _expected_origin(request):
        raise web.HTTPForbidden(text="wrong origin")
    token = request.cookies.get(session.COOKIE)
    if token is None or not await _known_session(request, token):
        raise web.HTTPForbidden(text="no valid session: load the chat page first")
    identity = session.identity_for(token)
    socket = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30)
    await socket.prepare(request)
    chat = _Chat(request.app, socket, identity, request.headers.get("Accept-Language", ""))
    open_chats: dict[Identity, set[_Chat]] = request.app[OPEN_CHATS_KEY]
    open_chats.setdefault(identity, set()).add(chat)
    try:
        if not await chat.hand_out_kept_replies():
            await chat.receive(InboundKind.RESUME, "")
        await chat.hand_out_kept_notices()
        async for frame in socket:
            if frame.type is WSMsgType.TEXT:
                try:
                    await chat.on_frame(frame.data)
                except (ConnectionError, asyncio.CancelledError):
                    raise
                except Exception:  # one bad frame never ends the conversation
                    log.exception("a web chat frame could not be handled; skipped")
            elif frame.type is WSMsgType.ERROR:
                log.info("web chat socket closed with an error")
    finally:
        open_chats[identity].discard(chat)
        if not open_chats[identity]:
            del open_chats[identity]
        await chat.closed()
    return socket


async def _send_to_open_pages(app: web.Application, outbound: Outbound) -> object:
    """A notification reaches every page the resident has open; with none open, it waits for the next visit."""
    pages = list(app[OPEN_CHATS_KEY].get(outbound.recipient, ()))
    for chat in pages:
        await chat.send_reply(outbound.reply, notification=True, receipt=outbound.receipt)
    if pages:
        return AWAITING_CONFIRMATION if outbound.receipt is not None else None
    store = app[ENGINE_KEY].store
    identity = outbound.recipient
    data = reply_to_data(outbound.reply)
    await asyncio.to_thread(platform_state.keep_notice, store, identity.platform, identity.user_id, data, store.now())
    return None


class WebTransport:
    """Broadcasts to web residents: to every page they have open here, or kept for their next visit."""

    platform = session.PLATFORM
    supports_edit = False

    def __init__(self, app: web.Application, rate: float) -> None:
        self.app = app
        self.limiter = Limiter(rate)

    async def post(self, outbound: Outbound) -> str | None:
        await _send_to_open_pages(self.app, outbound)
        return None

    async def edit(self, outbound: Outbound, message_id: str) -> None:
        await _send_to_open_pages(self.app, outbound)


class _Chat:
    """One open page: turns frames into events and replies into frames."""

    def __init__(self, app: web.Application, socket: web.WebSocketResponse, identity: Identity, accept: str) -> None:
        self.engine = app[ENGINE_KEY]
        self.delivery = app[DELIVERY_KEY]
        self.receipts = outbox_for(self.delivery, self.engine)
        self.limiter = app[LIMITER_KEY]
        self.socket = socket
        self.identity = identity
        self.lang = negotiate(accept, self.engine.languages)
        self.unconfirmed: dict[str, None] = {}
        """Replies sent to this page that it has not confirmed yet, oldest first."""
        self.open_chats: dict[Identity, set[_Chat]] = app[OPEN_CHATS_KEY]
        self.welcomes = {welcome_line(lang): lang.tag for lang in self.engine.languages.all()}
        """The first screen greets in every language: each line is marked with its own."""

    async def _to_other_tabs(self, send: Callable[[_Chat], Awaitable[None]]) -> None:
        """The resident's other open pages of this session show the same conversation."""
        for tab in list(self.open_chats.get(self.identity, ())):
            if tab is not self:
                with contextlib.suppress(ConnectionError):  # that page is just closing
                    await send(tab)

    async def _done(self, page_id: str | None) -> None:
        """What the page sent was handled: it forgets it (until then it sends it again after a reconnect)."""
        if page_id is not None:
            await self.socket.send_json({"type": "done", "id": page_id})

    async def on_frame(self, raw: str) -> None:
        _ = self.lang.gettext
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == CONFIRMATION:
            await self._confirm(message.get("receipt"))
            return
        page_id = _page_event_id(message)
        if not self.limiter.allow(self.identity.user_id):
            await self.notice(_("You are sending messages very quickly. Please wait a moment and try again."))
            await self._done(page_id)
            return
        try:
            if not isinstance(message, dict):
                raise ValueError("not an object")
            kind = InboundKind(message["type"])
            if kind not in (InboundKind.TEXT, InboundKind.BUTTON):
                raise ValueError("the page sends only text and buttons")
            text = message.get("text" if kind is InboundKind.TEXT else "payload", "")
            if not isinstance(text, str):
                raise ValueError("text must be a string")
        except (ValueError, KeyError, TypeError):
            await self.notice(_("This message could not be read. Please use the text field or the buttons."))
            await self._done(page_id)
            return
        if kind is InboundKind.TEXT and len(text) > MAX_TEXT:
            limit = self.lang.number(MAX_TEXT)
            await self.notice(
                _("Your message is too long. Please write at most {limit} characters.").format(limit=limit)
            )
            await self._done(page_id)
            return
        if kind is InboundKind.TEXT and text.strip().startswith("/"):
            kind = InboundKind.COMMAND
        said = message.get("label") if kind is InboundKind.BUTTON else text
        if isinstance(said, str) and said:
            await self._to_other_tabs(lambda tab: tab.socket.send_json({"type": "echo", "text": said[:MAX_ECHO]}))
        await self.receive(kind, text, page_id)
        await self._done(page_id)

    async def _confirm(self, receipt: object) -> None:
        """The page showed a reply: the store forgets it. Only a reply sent to this page counts."""
        if isinstance(receipt, str) and receipt in self.unconfirmed:
            del self.unconfirmed[receipt]
            await self.receipts.settle_for(receipt, self.identity)

    async def receive(self, kind: InboundKind, text: str, page_id: str | None = None) -> None:
        """`page_id` is the page's own id of what the resident sent: sent again, it is handled once.

        It counts only within this resident's events, so a made-up id cannot touch anyone else's.
        """
        event_id = f"{self.identity.user_id}.{page_id}" if page_id else uuid.uuid4().hex
        inbound = Inbound(self.identity, self.identity.user_id, event_id, kind, text, self.lang.code)
        others = []
        # A page that comes back is shown where it is: that screen can always be made anew.
        send = self._send_shown if kind is InboundKind.RESUME else self._send_own
        outbounds = await self.engine.handle(inbound)
        for outbound in outbounds:
            if outbound.recipient == self.identity:
                await self.delivery.hand(outbound, send)
            else:
                others.append(outbound)
        await self.delivery.deliver(others)
        if not outbounds and kind is InboundKind.BUTTON:
            # the same button was just pressed in another tab: show this one where the resident is
            await self.receive(InboundKind.RESUME, "")

    async def _send_own(self, outbound: Outbound) -> object:
        erased = not outbound.reply.buttons and not await self._resident_exists()
        await self.send_reply(outbound.reply, receipt=outbound.receipt, erased=erased)
        await self._to_other_tabs(lambda tab: tab.send_reply(outbound.reply, erased=erased))
        return AWAITING_CONFIRMATION if outbound.receipt is not None else None

    async def _send_shown(self, outbound: Outbound) -> None:
        # the screen is made anew with new buttons: the other tabs take them too, so none goes out of date
        await self.send_reply(outbound.reply, resume=True)
        await self._to_other_tabs(lambda tab: tab.send_reply(outbound.reply, resume=True))

    async def _resident_exists(self) -> bool:
        """False once the resident asked to erase their data: the pages then forget the conversation too."""
        store, identity = self.engine.store, self.identity
        found = await asyncio.to_thread(store.run, lambda tx: tx.load_resident(identity.platform, identity.user_id))
        return found is not None

    async def hand_out_kept_replies(self) -> bool:
        """Replies this resident has not seen yet (sent before a restart, or to a page that closed).

        True when one of them brought a menu, so that the page need not ask for the current one.
        """
        kept = await self.receipts.take_for(self.identity)
        for outbound in kept:
            await self.send_reply(outbound.reply, notification=True, receipt=outbound.receipt)
        return any(outbound.reply.buttons for outbound in kept)

    async def closed(self) -> None:
        """The page is gone: what it did not confirm waits for its next visit.

        The server may cancel a socket's handler when the page goes; this must finish all the same."""
        if self.unconfirmed:
            task = asyncio.ensure_future(self.receipts.wait_for_recipient(list(self.unconfirmed)))
            _FINISHING.add(task)
            task.add_done_callback(_FINISHING.discard)
            await asyncio.shield(task)

    async def hand_out_kept_notices(self) -> None:
        store = self.engine.store
        kept = await asyncio.to_thread(
            platform_state.take_notices, store, self.identity.platform, self.identity.user_id
        )
        for data in kept:
            await self.send_reply(reply_from_data(data), notification=True)

    async def send_reply(
        self,
        reply: Reply,
        *,
        notification: bool = False,
        receipt: Receipt | None = None,
        resume: bool = False,
        erased: bool = False,
    ) -> None:
        """`resume`: the screen shown again to a page that (re)connects; `erased`: the reply after erasure."""
        if reply.language and self.engine.languages.supports(reply.language):
            self.lang = self.engine.languages.get(reply.language)
        frame = reply_frame(reply, self.lang.tag, ui_strings(self.lang, self.engine.content), self.welcomes)
        frame["dir"] = self.lang.direction
        frame["notification"] = notification
        frame["resume"] = resume
        frame["erased"] = erased
        # A notification shows its own buttons (Approve, Read the idea) in its message; only the
        # resident's own replies (also those kept over a restart) replace the menu.
        frame["menu"] = not notification or (
            bool(reply.buttons) and all(_MENU_TOKEN.fullmatch(b.payload) for b in reply.all_buttons())
        )
        if receipt is not None:
            frame["receipt"] = receipt.token
            self.unconfirmed[receipt.token] = None
            if len(self.unconfirmed) > MAX_UNCONFIRMED:  # a page that does not confirm keeps no backlog
                oldest = next(iter(self.unconfirmed))
                del self.unconfirmed[oldest]
                await self.receipts.settle_for(oldest, self.identity)
        await self.socket.send_json(frame)

    async def notice(self, text: str) -> None:
        await self.socket.send_json({"type": "notice", "text": text})


def _page_event_id(message: object) -> str | None:
    """The page's id of a message it sent, when it has one of the expected form."""
    sent = message.get("id") if isinstance(message, dict) else None
    return sent if isinstance(sent, str) and _PAGE_EVENT_ID.fullmatch(sent) else None


TOGGLE_MARKS = {"☑": True, "☐": False}
"""A button whose label starts with one of these switches something on or off (a news subscription)."""


def _button(button: Button) -> dict[str, Any]:
    data: dict[str, Any] = {"label": button.label, "payload": button.payload}
    mark, _space, rest = button.label.partition(" ")
    if mark in TOGGLE_MARKS and rest:
        data.update(pressed=TOGGLE_MARKS[mark], mark=mark, text=rest)
    return data


def reply_frame(
    reply: Reply, language: str, ui: dict[str, str], block_languages: dict[str, str] | None = None
) -> dict[str, Any]:
    """The frame for a reply; `block_languages` names the language of blocks not in the page's (by their text)."""
    reply = isolate_reply(reply)
    others = block_languages or {}
    frame: dict[str, Any] = {
        "type": "reply",
        "language": language,
        "ui": ui,
        "blocks": [
            {
                "item": block.item,
                "spans": [{"text": s.text, "style": s.style, "url": s.url} for s in block.spans],
                "lang": others.get(block.text),
            }
            for block in reply.blocks
        ],
        "buttons": [[_button(b) for b in row] for row in reply.buttons],
        "expectsText": reply.expects_text,
    }
    if reply.attachment is not None:
        frame["attachment"] = {
            "filename": reply.attachment.filename,
            "mimeType": reply.attachment.mime_type,
            "data": base64.b64encode(reply.attachment.content).decode("ascii"),
        }
    return frame
