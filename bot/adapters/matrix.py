"""Matrix adapter: matrix-nio as client, nothing more.

The bot logs in once and keeps its device id, access token and sync token in the store,
so a restart neither loses nor repeats events (each event id is also claimed by the
engine). It joins rooms it is invited to; each room is one resident's conversation.
Replies are `m.notice` (bots never answer notices, so two bots cannot loop) with a plain
`body` and an HTML `formatted_body`; options are a numbered list, answered with the
number or the label. A 👍 reaction on an idea's message supports it, redacting the
reaction withdraws the support.
"""

from __future__ import annotations

import asyncio
import json
import logging
from html import escape
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    JoinError,
    LoginResponse,
    MegolmEvent,
    ReactionEvent,
    RedactionEvent,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
    WhoamiResponse,
)
from nio.crypto import ENCRYPTION_ENABLED

from bot.adapters.markup import span_html
from bot.broadcasting.transport import RateLimited, RecipientBlocked, TemporaryFailure
from bot.delivery import DeliverLater, Delivery
from bot.pacing import Limiter
from bot.reply_outbox import outbox_for
from dialogs.engine import Engine, EngineUnavailable
from dialogs.messages import Identity, Inbound, InboundKind, Outbound, Reply
from storage import platform_state

log = logging.getLogger(__name__)

PLATFORM = "matrix"
SYNC_TIMEOUT_MS = 30_000


class MatrixLoginError(RuntimeError):
    """The homeserver refused the configured user, password or access token."""


def to_plain(reply: Reply) -> str:
    lines = [("• " if block.item else "") + block.text for block in reply.blocks]
    buttons = reply.all_buttons()
    if buttons:
        lines.append("")
        lines.extend(f"{number}. {button.label}" for number, button in enumerate(buttons, start=1))
    return "\n".join(lines)


def to_html(reply: Reply) -> str:
    """Only a few tags, every text escaped: nothing a resident wrote can become markup."""
    parts: list[str] = []
    items: list[str] = []
    for block in reply.blocks:
        html = "".join(span_html(s) for s in block.spans)
        if block.item:
            items.append(f"<li>{html}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        parts.append(f"<p>{html}</p>")
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    buttons = reply.all_buttons()
    if buttons:
        parts.append("<ol>" + "".join(f"<li>{escape(b.label, quote=False)}</li>" for b in buttons) + "</ol>")
    return "".join(parts)


def notice(reply: Reply) -> dict[str, Any]:
    """A reply as the content of an m.notice, in plain text and HTML."""
    return {
        "msgtype": "m.notice",
        "body": to_plain(reply),
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(reply),
    }


class MatrixAdapter:
    def __init__(
        self,
        engine: Engine,
        *,
        homeserver: str,
        user: str,
        password: str | None = None,
        access_token: str | None = None,
        delivery: Delivery | None = None,
        store_path: Path | None = None,
        encryption: bool | None = None,
    ) -> None:
        self.engine = engine
        self.homeserver = homeserver
        self.user = user
        self.password = password
        self.access_token = access_token
        self.delivery = delivery or Delivery()
        self.delivery.register(PLATFORM, self.send)
        outbox_for(self.delivery, engine)
        # End-to-end encryption works where matrix-nio's "e2e" extra (python-olm) is installed.
        self.encryption = ENCRYPTION_ENABLED if encryption is None else encryption and ENCRYPTION_ENABLED
        if self.encryption:
            path = store_path or Path("data") / "matrix-store"
            path.mkdir(parents=True, exist_ok=True)
            config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
            self.client = AsyncClient(homeserver, user, store_path=str(path), config=config)
        else:
            self.client = AsyncClient(homeserver, user, config=AsyncClientConfig(encryption_enabled=False))
        self._task: asyncio.Task[None] | None = None
        self._warned_encrypted: set[str] = set()

    def transport(self, rate: float) -> MatrixTransport:
        return MatrixTransport(self, rate)

    # -- life cycle -------------------------------------------------------------------------

    def _state(self, name: str) -> str:
        return f"matrix:{self.user}:{name}"

    async def _get(self, name: str) -> str | None:
        return await asyncio.to_thread(platform_state.get_value, self.engine.store, self._state(name))

    async def _set(self, name: str, value: str) -> None:
        await asyncio.to_thread(platform_state.set_value, self.engine.store, self._state(name), value)

    async def start(self) -> None:
        await self._login()
        if self.encryption:
            self.client.load_store()
            if self.client.should_upload_keys:
                await self.client.keys_upload()
        self._task = asyncio.create_task(self._sync_loop())
        log.info("Matrix: %s on %s", self.user, self.homeserver)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.client.close()

    async def _login(self) -> None:
        token = self.access_token or await self._get("access_token")
        device = await self._get("device_id")
        if token:
            self.client.restore_login(self.user, device or "", token)
            whoami = await self.client.whoami()
            if isinstance(whoami, WhoamiResponse):
                if whoami.device_id and whoami.device_id != device:
                    self.client.device_id = whoami.device_id
                    await self._set("device_id", whoami.device_id)
                return
            if self.access_token or not self.password:
                raise MatrixLoginError("the homeserver did not accept MATRIX_ACCESS_TOKEN")
        if not self.password:
            raise MatrixLoginError("set MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN")
        response = await self.client.login(
            self.password,
            device_name="Mitmach-Bot",
        )
        if not isinstance(response, LoginResponse):
            raise MatrixLoginError("the homeserver did not accept MATRIX_USER / MATRIX_PASSWORD")
        await self._set("access_token", response.access_token)
        await self._set("device_id", response.device_id)

    # -- receiving ----------------------------------------------------------------------------

    async def _sync_loop(self) -> None:
        since = await self._get("next_batch")
        backoff = 1.0
        while True:
            response = await self.client.sync(timeout=SYNC_TIMEOUT_MS if since else 0, since=since)
            if not isinstance(response, SyncResponse):
                retry = getattr(response, "retry_after_ms", None)
                delay = retry / 1000 if retry else backoff
                log.warning("Matrix sync failed (%s); retrying in %.1f s", getattr(response, "status_code", "?"), delay)
                await asyncio.sleep(delay)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            await self._handle_sync(response)
            since = response.next_batch
            await self._set("next_batch", since)
            if self.encryption:
                await self._keep_keys()

    async def _keep_keys(self) -> None:
        """What matrix-nio asks of an encrypting client between syncs."""
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())

    async def _handle_sync(self, response: SyncResponse) -> None:
        """Every event of a sync is stored through the engine before the sync token moves on."""
        for room_id, room in response.rooms.invite.items():
            if any(isinstance(e, InviteMemberEvent) and e.state_key == self.user for e in room.invite_state):
                result = await self.client.join(room_id)
                if isinstance(result, JoinError):
                    log.warning("could not join a room it was invited to: %s", result.message)
        for room_id, room in response.rooms.join.items():
            for event in room.timeline.events:
                if getattr(event, "sender", None) == self.user:
                    continue
                await self._until_stored(room_id, event)

    async def _until_stored(self, room_id: str, event: Any) -> None:
        backoff = 1.0
        while True:
            try:
                await self._handle_event(room_id, event)
                return
            except EngineUnavailable:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)

    async def _handle_event(self, room_id: str, event: Any) -> None:
        identity = Identity(PLATFORM, event.sender)
        if isinstance(event, RoomMessageText):
            text = event.body.strip()
            options = await self._options(room_id) if text.isdigit() else []
            if options and 1 <= int(text) <= len(options):
                kind, text = InboundKind.BUTTON, options[int(text) - 1]
            else:
                kind = InboundKind.COMMAND if text.startswith("/") else InboundKind.TEXT
            await self._receive(Inbound(identity, room_id, event.event_id, kind, text), room_id)
        elif isinstance(event, ReactionEvent):
            message = await self._recall(event.reacts_to)
            reaction = next((r for r in (message or {}).get("reactions", []) if r["key"] == event.key), None)
            if reaction is None:
                return
            await self._remember(event.event_id, {"undo": reaction["remove"], "sender": event.sender})
            inbound = Inbound(identity, room_id, event.event_id, InboundKind.REACTION, reaction["add"])
            await self._receive(inbound, room_id)
        elif isinstance(event, RedactionEvent):
            reaction = await self._recall(event.redacts)
            if reaction is None or reaction.get("sender") != event.sender:
                return
            inbound = Inbound(identity, room_id, event.event_id, InboundKind.REACTION, reaction["undo"])
            await self._receive(inbound, room_id)
        elif isinstance(event, MegolmEvent):
            await self._say_cannot_decrypt(room_id)

    async def _options(self, room_id: str) -> list[str]:
        """The payloads of the options last shown in a room (kept in the store, so restarts keep them)."""
        kept = await self._get(f"options:{room_id}")
        return list(json.loads(kept)) if kept else []

    async def _recall(self, event_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(platform_state.recall_message, self.engine.store, PLATFORM, event_id)

    async def _remember(self, event_id: str, data: dict[str, Any]) -> None:
        store = self.engine.store
        await asyncio.to_thread(platform_state.remember_message, store, PLATFORM, event_id, data, store.now())

    async def _receive(self, inbound: Inbound, room_id: str) -> None:
        outbounds = await self.engine.handle(inbound, strict=True)
        for outbound in outbounds:
            if outbound.recipient == inbound.identity:
                await self.delivery.hand(outbound)
        await self.delivery.deliver(o for o in outbounds if o.recipient != inbound.identity)

    async def _say_cannot_decrypt(self, room_id: str) -> None:
        if room_id in self._warned_encrypted:
            return
        self._warned_encrypted.add(room_id)
        _ = self.engine.languages.get(None).gettext
        if self.encryption:
            text = _("I could not decrypt your message. Please send it again.")
        else:
            text = _(
                "This room is end-to-end encrypted, and I cannot read encrypted messages. "
                "Please write to me in a room without encryption."
            )
        try:
            await self._send_content(room_id, {"msgtype": "m.notice", "body": text})
        except TemporaryFailure:
            log.info("the note about an undecryptable message was not delivered")

    # -- sending --------------------------------------------------------------------------------

    async def send(self, outbound: Outbound) -> None:
        """Send one reply; raises `DeliverLater` where the homeserver did not take it.

        A kept reply is sent with its receipt's token as the transaction id, so that the
        homeserver takes a second attempt after a crash as the same message."""
        reply = outbound.reply
        receipt = outbound.receipt
        tx_id = f"reply-{receipt.token}" if receipt is not None else None
        try:
            event_id = await self._send_content(outbound.chat_id, notice(reply), tx_id=tx_id)
            if reply.attachment is not None:
                text = reply.attachment.content.decode("utf-8")
                file_tx_id = f"{tx_id}-file" if tx_id else None
                await self._send_content(outbound.chat_id, {"msgtype": "m.notice", "body": text}, file_tx_id)
        except TemporaryFailure as err:
            raise DeliverLater(str(err)) from err
        await self.remember_options(outbound.chat_id, reply)
        if event_id and reply.reactions:
            reactions = [{"key": r.key, "add": r.add, "remove": r.remove} for r in reply.reactions]
            await asyncio.to_thread(
                platform_state.remember_message,
                self.engine.store,
                PLATFORM,
                event_id,
                {"reactions": reactions},
                self.engine.store.now(),
            )

    async def remember_options(self, room_id: str, reply: Reply) -> None:
        """The options last shown in a room, so that a typed number chooses one (after a restart too).

        Where the bot asks the resident to type (an idea's number, a title), a number is text.
        """
        options = [] if reply.expects_text else [b.payload for b in reply.all_buttons()]
        await self._set(f"options:{room_id}", json.dumps(options))

    async def send_once(self, room_id: str, content: dict[str, Any], tx_id: str | None = None) -> str:
        """One attempt, with the homeserver's answer as the broadcast sender's exceptions."""
        try:
            response = await self.client.room_send(
                room_id, "m.room.message", content, tx_id=tx_id, ignore_unverified_devices=True
            )
        except (OSError, TimeoutError, ClientError) as err:
            raise TemporaryFailure(type(err).__name__) from err
        if isinstance(response, RoomSendResponse):
            return str(response.event_id)
        code = getattr(response, "status_code", "") or ""
        retry = getattr(response, "retry_after_ms", None)
        if code == "M_LIMIT_EXCEEDED" or retry:
            raise RateLimited((retry or 1000) / 1000)
        if code in ("M_FORBIDDEN", "M_NOT_FOUND"):
            raise RecipientBlocked(f"{code}: {getattr(response, 'message', '')}")
        raise TemporaryFailure(code or "no answer")

    async def _send_content(self, room_id: str, content: dict[str, Any], tx_id: str | None = None) -> str | None:
        """Send, waiting out rate limits (M_LIMIT_EXCEEDED) and retrying transient errors.

        None where the room refused it; `TemporaryFailure` where it could not be sent now."""
        backoff = 1.0
        for _attempt in range(6):
            try:
                return await self.send_once(room_id, content, tx_id)
            except RateLimited as err:
                await asyncio.sleep(err.retry_after)
            except RecipientBlocked as err:
                log.info("a Matrix room refused the message: %s", err)
                return None
            except TemporaryFailure:
                await asyncio.sleep(backoff)
                backoff *= 2
        raise TemporaryFailure("not delivered after retries")


class MatrixTransport:
    """Broadcast messages as m.notice; progress messages edited with m.replace."""

    platform = PLATFORM
    supports_edit = True

    def __init__(self, adapter: MatrixAdapter, rate: float) -> None:
        self.adapter = adapter
        self.limiter = Limiter(rate)

    async def post(self, outbound: Outbound) -> str | None:
        reply = outbound.reply
        event_id = await self.adapter.send_once(outbound.chat_id, notice(reply))
        if reply.buttons:
            await self.adapter.remember_options(outbound.chat_id, reply)
        return event_id

    async def edit(self, outbound: Outbound, message_id: str) -> None:
        new = notice(outbound.reply)
        content = {
            **new,
            "body": "* " + new["body"],
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": message_id},
        }
        await self.adapter.send_once(outbound.chat_id, content)
