"""The bot's aiohttp server: the web chat over a WebSocket, health endpoints, the dashboard.

It is also the web chat's transport (the adapter is bot/adapters/web/): a WebSocket frame
becomes an `Inbound` for the one way in (bot/receive.py), each `Outbound` a JSON frame.
It guards the transport: session cookie, Origin, message size and pace: only sessions
the server signed open a socket, and each client address may start only so many new
sessions an hour. Other adapters may add routes (Telegram's webhook) before it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMsgType, web

from bot.adapters.port import NoticeListener
from bot.adapters.protocol import Context, context_for
from bot.adapters.web import PLATFORM
from bot.adapters.web.render import reply_frame
from bot.delivery import AWAITING_CONFIRMATION, Delivery
from bot.receive import kind_of
from bot.web import dashboard, session, site
from bot.web.clients import Network, NewSessionLimit, client_address
from bot.web.embedding import FRAME_NONE, cookie_for_frames, frame_ancestors, partitioned_cookie
from bot.web.page import (
    MAX_TEXT,
    negotiate,
    render_limited,
    render_page,
    setup_templates,
    town_static,
    ui_strings,
)
from bot.web.ratelimit import RateLimiter
from bot.web.site import SiteLinks
from dialogs.engine import Engine
from dialogs.invitations import Invitation
from dialogs.messages import (
    Identity,
    Inbound,
    InboundKind,
    Outbound,
    Receipt,
    Reply,
    reply_from_data,
    reply_to_data,
)
from dialogs.payloads import DeepLink, is_menu_choice

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_FRAME = 64 * 1024
ENGINE_KEY = web.AppKey("engine", Engine)
CONTEXT_KEY = web.AppKey("context", Context)
LISTENER_KEY = web.AppKey("notice_listener", NoticeListener)
OPEN_CHATS_KEY = web.AppKey("open_chats", dict)
CONFIG_KEY = web.AppKey("web_config", dict)
LIMITER_KEY = web.AppKey("limiter", RateLimiter)
_FINISHING: set[asyncio.Future[None]] = set()
"""Work that must outlive a cancelled socket handler (kept here so that it is not collected)."""
MAX_UNCONFIRMED = 50
CONFIRMATION = "received"
_PAGE_EVENT_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")
MAX_ECHO = 200
"""The frame a page sends once it showed a reply that carried a receipt."""
SESSIONS_KEY = web.AppKey("sessions", session.Sessions)
NEW_SESSIONS_KEY = web.AppKey("new_sessions", NewSessionLimit)
LOOPS_KEY = web.AppKey("loops", dict)
"""The receive loops `/readyz` reports on: name -> whether it runs."""


def content_security_policy(frame_ancestors: str = FRAME_NONE) -> str:
    """Only the bot's own script and style; `frame_ancestors` names who may frame the page."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'; frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'self'; "
        "object-src 'none'"
    )


SECURITY_HEADERS = {
    "Content-Security-Policy": content_security_policy(),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


SERVER_NAME = "Mitmach-Bot"
"""The Server header: names no framework and no version."""


CHAT_PAGE = "/"
"""The one page a town may frame (WEB_FRAME_ANCESTORS); every other response forbids framing."""


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response the app sends: pages, redirects, errors (404, 405, a refused socket's 403)."""
    headers = SECURITY_HEADERS
    origins = request.app[CONFIG_KEY]["frame_ancestors"]
    if origins and request.path == CHAT_PAGE:
        # X-Frame-Options knows no list of sites: left out, the CSP alone says who may frame
        headers = {name: value for name, value in SECURITY_HEADERS.items() if name != "X-Frame-Options"}
        headers["Content-Security-Policy"] = content_security_policy(frame_ancestors(origins))
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    response.headers["Server"] = SERVER_NAME


async def listen_for_notices(app: web.Application) -> None:
    """With several worker processes, a notice kept by one reaches a page open in another at once.

    (PostgreSQL's LISTEN/NOTIFY, storage/wakeups.py; on SQLite there is one process.)"""
    app[LISTENER_KEY] = app[CONTEXT_KEY].port.listen_for_notices(partial(_hand_out_notices, app))


async def stop_listening(app: web.Application) -> None:
    listener = app.get(LISTENER_KEY)
    if listener is not None:
        await listener.stop()


def _hand_out_notices(app: web.Application, person: str | None) -> None:
    """A notice was kept for `person` (as the port names people in wake-ups); None: for anyone."""
    port = app[CONTEXT_KEY].port
    for identity, chats in list(app[OPEN_CHATS_KEY].items()):
        if person is None or port.named(identity, person):
            for chat in list(chats):
                task = asyncio.ensure_future(chat.hand_out_kept_notices())
                _FINISHING.add(task)
                task.add_done_callback(_FINISHING.discard)


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
    context: Context | None = None,
    session_secret: str | None = None,
    new_sessions: NewSessionLimit | None = None,
    trusted_proxies: Sequence[Network] = (),
    template_dir: Path | None = None,
    frame_ancestors: Sequence[str] = (),
    site_links: SiteLinks | None = None,
) -> web.Application:
    """The web chat, health and dashboard routes.

    The chat's adapters share `context` (made from `engine` and `delivery` where not given).
    Without `session_secret`, sessions are signed with the secret kept in the store.
    `new_sessions` limits new sessions per client address (20 an hour by default);
    `trusted_proxies` are the reverse proxies whose X-Forwarded-For is believed;
    `template_dir` holds a town's own templates (and its static/ files, served under /static/town/);
    `frame_ancestors` are the origins whose pages may show the chat in a frame (none by default);
    `site_links` the imprint, privacy, accessibility and feedback links in every page's footer.
    """
    app = web.Application(client_max_size=MAX_FRAME)
    app.on_response_prepare.append(security_headers)
    app.on_shutdown.append(close_open_chats)
    app.on_startup.append(listen_for_notices)
    app.on_cleanup.append(stop_listening)
    app[ENGINE_KEY] = engine
    context = context or context_for(engine, delivery, public_url=public_url)
    if context.http is None:
        context.http = app
    app[CONTEXT_KEY] = context
    app[OPEN_CHATS_KEY] = {}
    context.delivery.register(PLATFORM, partial(send_to_open_pages, app))
    context.invitations.offer(PLATFORM, partial(invitation, shareable(public_url or engine.web_base_url)))
    app[CONFIG_KEY] = {
        "public_url": public_url.rstrip("/") if public_url else None,
        "trusted_proxies": tuple(trusted_proxies),
        "frame_ancestors": tuple(frame_ancestors),
    }
    app[LIMITER_KEY] = limiter or RateLimiter()
    app[SESSIONS_KEY] = session.Sessions(session_secret or session.stored_secret(context.port))
    app[NEW_SESSIONS_KEY] = new_sessions or NewSessionLimit()
    app.router.add_get(CHAT_PAGE, chat_page)
    app.router.add_get("/ws", chat_socket)
    app.router.add_get("/session", session_state)
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    app[LOOPS_KEY] = {}
    dashboard.add_routes(app, ENGINE_KEY, _secure, _expected_origin)
    templates = setup_templates(app, template_dir)
    site.setup(app, templates, engine.content, engine.languages, site_links or SiteLinks())
    own_static = town_static(template_dir)
    if own_static is not None:
        app.router.add_static("/static/town/", own_static, show_index=False, append_version=False)
    app.router.add_static("/static/", STATIC, show_index=False, append_version=False)
    return app


def shareable(address: str | None) -> str | None:
    """The web chat's address as others can open it; None where it names no host (WEB_HOST=0.0.0.0
    without PUBLIC_URL): such a link would lead nowhere, so the invitation gives the command instead."""
    if not address or urlsplit(address).hostname in (None, "0.0.0.0", "::"):
        return None
    return address.rstrip("/")


def invitation(base: str | None, link: DeepLink) -> Invitation:
    """The chat page at ``?idea=42``: the page hands it to its socket (`chat_socket`), which opens the idea."""
    return Invitation(url=f"{base}/?{link.kind}={link.number}" if base else None)


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
        secure = _secure(request)
        if request.app[CONFIG_KEY]["frame_ancestors"] and cookie_for_frames(secure, request.host):
            # inside a town's frame the cookie is a third-party one: sent only as None, kept only partitioned
            response.headers.add("Set-Cookie", partitioned_cookie(session.COOKIE, sessions.issue(), session.MAX_AGE))
        else:
            response.set_cookie(
                session.COOKIE,
                sessions.issue(),
                max_age=session.MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=secure,
                path="/",
            )
    return response


async def session_state(request: web.Request) -> web.Response:
    """Whether the browser sent its session cookie: the page explains a blocked cookie (in a frame, say).

    Tells only whether a cookie came and whether it is valid; nothing about whose it is.
    """
    token = request.cookies.get(session.COOKIE)
    valid = token is not None and await _known_session(request, token)
    response = web.json_response({"cookie": token is not None, "session": valid})
    response.headers["Cache-Control"] = "no-store"
    return response


async def _known_session(request: web.Request, token: str | None) -> bool:
    """A session this server signed, or an unsigned one of an earlier version whose resident exists."""
    if request.app[SESSIONS_KEY].is_valid(token):
        return True
    if token is None or not session.is_legacy(token):
        return False
    return await request.app[CONTEXT_KEY].port.is_known(session.identity_for(token))


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
    # a link the page was opened with (``/?idea=42``): shown instead of where the resident was
    opening = DeepLink.parse(request.query.get("start"))
    socket = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30)
    await socket.prepare(request)
    chat = _Chat(request.app, socket, identity, request.headers.get("Accept-Language", ""))
    open_chats: dict[Identity, set[_Chat]] = request.app[OPEN_CHATS_KEY]
    open_chats.setdefault(identity, set()).add(chat)
    try:
        kept = await chat.hand_out_kept_replies()
        if opening is not None:
            await chat.receive(InboundKind.COMMAND, f"/start {opening}")
        elif not kept:
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


async def send_to_open_pages(app: web.Application, outbound: Outbound) -> object:
    """A notification reaches every page the resident has open; with none open, it waits for the next visit."""
    pages = list(app[OPEN_CHATS_KEY].get(outbound.recipient, ()))
    for chat in pages:
        await chat.send_reply(outbound.reply, notification=True, receipt=outbound.receipt)
    if pages:
        return AWAITING_CONFIRMATION if outbound.receipt is not None else None
    await app[CONTEXT_KEY].port.keep_notice(outbound.recipient, reply_to_data(outbound.reply))
    return None


class _Chat:
    """One open page: turns frames into events and replies into frames."""

    def __init__(self, app: web.Application, socket: web.WebSocketResponse, identity: Identity, accept: str) -> None:
        self.content = app[ENGINE_KEY].content
        self.context = app[CONTEXT_KEY]
        self.languages = self.context.languages
        self.receipts = self.context.receive.receipts
        self.limiter = app[LIMITER_KEY]
        self.socket = socket
        self.identity = identity
        self.lang = negotiate(accept, self.languages)
        self.unconfirmed: dict[str, None] = {}
        """Replies sent to this page that it has not confirmed yet, oldest first."""
        self.open_chats: dict[Identity, set[_Chat]] = app[OPEN_CHATS_KEY]
        self.tags = {lang.code: lang.tag for lang in self.languages.all()}
        """Each language's HTML tag: a block in a language of its own (the first screen greets in every
        language) is marked with it."""

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
        if kind is InboundKind.TEXT:
            kind = kind_of(text)
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
        # A page that comes back is shown where it is: that screen can always be made anew.
        send = self._send_shown if kind is InboundKind.RESUME else self._send_own
        outbounds = await self.context.receive(inbound, send, strict=False)
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
        return await self.context.port.is_known(self.identity)

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
        for data in await self.context.port.take_notices(self.identity):
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
        if reply.language and self.languages.supports(reply.language):
            self.lang = self.languages.get(reply.language)
        frame = reply_frame(reply, self.lang.tag, ui_strings(self.lang, self.content), self.tags)
        frame["dir"] = self.lang.direction
        frame["notification"] = notification
        frame["resume"] = resume
        frame["erased"] = erased
        # A notification shows its own buttons (Approve, Read the idea) in its message; only the
        # resident's own replies (also those kept over a restart) replace the menu.
        frame["menu"] = not notification or (
            bool(reply.buttons) and all(is_menu_choice(b.payload) for b in reply.all_buttons())
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
