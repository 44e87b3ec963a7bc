"""Matrix adapter: matrix-nio as client, nothing more.

The bot logs in once and keeps its device id, access token and sync token in the store
(through the port the wiring passes in),
so a restart neither loses nor repeats events (each event id is also claimed by the
engine). It joins rooms it is invited to; each room is one resident's conversation.
Replies are `m.notice` (bots never answer notices, so two bots cannot loop) with a plain
`body` and an HTML `formatted_body`; options are a numbered list, answered with the
number or the label. A 👍 reaction on an idea's message supports it, redacting the
reaction withdraws the support.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import quote
from uuid import uuid4

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    JoinedMembersResponse,
    JoinError,
    LocalProtocolError,
    LoginResponse,
    MegolmEvent,
    ReactionEvent,
    RedactionEvent,
    RoomCreateResponse,
    RoomEncryptedMedia,
    RoomGetStateEventResponse,
    RoomMemberEvent,
    RoomMessageEmote,
    RoomMessageMedia,
    RoomMessagesResponse,
    RoomMessageText,
    RoomMessageUnknown,
    RoomSendResponse,
    SendRetryError,
    StickerEvent,
    SyncResponse,
    UploadResponse,
    WhoamiResponse,
)
from nio.api import Api, MessageDirection, RoomPreset
from nio.crypto import ENCRYPTION_ENABLED

from bot.adapters.matrix import PLATFORM
from bot.adapters.matrix.render import notice
from bot.adapters.matrix.settings import MatrixSettings
from bot.adapters.matrix.transport import MatrixTransport
from bot.adapters.protocol import Context
from bot.broadcasting.transport import PermanentFailure, RateLimited, RecipientBlocked, TemporaryFailure
from bot.delivery import DeliverLater
from bot.receive import KeptOptions, typed
from bot.retry import FOREVER, retrying
from bot.supervisor import Background, Supervised
from bot.web.ratelimit import RateLimiter
from dialogs.invitations import Invitation
from dialogs.messages import Attachment, Block, Identity, Inbound, InboundKind, Outbound, Reply, Span
from dialogs.payloads import DeepLink

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000
TIMELINE_LIMIT = 50
"""Events per room in one sync (Synapse sends 10 without a filter); more are paged in with /messages."""
SYNC_FILTER = {"room": {"timeline": {"limit": TIMELINE_LIMIT}}}
PAGE_LIMIT = 100
DIRECT_ROOM_MEMBERS = 2
"""The dialogue runs in rooms of at most two members: the resident and the bot."""
FIRST_SYNC_WAIT = 60.0
NOT_TEXT = (RoomMessageEmote, RoomMessageMedia, RoomEncryptedMedia, RoomMessageUnknown, StickerEvent)
"""Emotes, images, files, audio, video, locations, stickers: answered with "I can only read text"."""
SEND_ATTEMPTS = 6
JOIN_ATTEMPTS = 6
PACE_RATE, PACE_BURST = 5.0, 20
SLOW_NOTICE_GAP = 60.0
Note = Callable[[Callable[[str], str]], str]
"""A sentence put before a reply, made with the recipient's gettext."""
"""What one person types, as in the web chat: twenty messages at once, then five a second;
beyond that a notice to slow down (someone tapping quickly through menus stays well within)."""


class MatrixLoginError(RuntimeError):
    """The homeserver refused the configured user, password or access token."""


class MatrixAdapter:
    platform = PLATFORM

    def __init__(self, context: Context, settings: MatrixSettings, *, encryption: bool | None = None) -> None:
        if not settings.homeserver or not settings.user:
            raise ValueError("Matrix needs MATRIX_HOMESERVER and MATRIX_USER")
        self.receive = context.receive
        self.port = context.port
        self.languages = context.languages
        self.invitations = context.invitations
        self.homeserver = homeserver = settings.homeserver
        self.user = user = settings.user
        # secrets are unwrapped only here
        self.password = settings.password.get_secret_value() if settings.password else None
        self.access_token = settings.access_token.get_secret_value() if settings.access_token else None
        self.rate = settings.rate
        context.delivery.register(PLATFORM, self.send)
        self.options = KeptOptions(self.port, self._state("options:"))
        """The options last shown to each person, so that a typed number chooses one (after a restart too)."""
        # End-to-end encryption works where matrix-nio's "e2e" extra (vodozemac) is installed.
        self.encryption = ENCRYPTION_ENABLED if encryption is None else encryption and ENCRYPTION_ENABLED
        # max_limit_exceeded=0: a 429 comes back to the adapter, which waits it out where it
        # blocks nobody else (nio would sleep inside the call, in the sync loop too).
        if self.encryption:
            path = settings.store_path
            path.mkdir(parents=True, exist_ok=True)
            config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False, max_limit_exceeded=0)
            self.client = AsyncClient(homeserver, user, store_path=str(path), config=config)
        else:
            config = AsyncClientConfig(encryption_enabled=False, max_limit_exceeded=0)
            self.client = AsyncClient(homeserver, user, config=config)
        self._loop = Supervised("matrix-sync", self._sync_loop)
        self._synced = asyncio.Event()
        self._background = Background()
        self._spawn = self._background.spawn
        self._room_locks: dict[str, asyncio.Lock] = {}
        self._joining = asyncio.Lock()
        self._inviters: dict[str, str] = {}
        """Rooms being joined on an invite, greeted once a sync shows the join: room id -> inviter."""
        self._warned_encrypted: set[str] = set()
        self._pace = RateLimiter(rate=PACE_RATE, burst=PACE_BURST)
        self._slowed: dict[str, float] = {}
        """When each sender was last told to slow down (monotonic): once per burst is enough."""

    def transport(self) -> MatrixTransport:
        return MatrixTransport(self, self.rate)

    def describe(self) -> str:
        return f"Matrix {self.user}"

    def alive(self) -> bool:
        """Whether the sync loop runs (for `/readyz`)."""
        return self._loop.alive

    # -- life cycle -------------------------------------------------------------------------

    def _state(self, name: str) -> str:
        return f"matrix:{self.user}:{name}"

    async def _get(self, name: str) -> str | None:
        return await self.port.value(self._state(name))

    async def _set(self, name: str, value: str) -> None:
        await self.port.keep_value(self._state(name), value)

    async def start(self) -> None:
        await self._login()
        if self.encryption:
            self.client.load_store()
            if self.client.should_upload_keys:
                await self.client.keys_upload()
        self._loop.start()
        self.invitations.offer(PLATFORM, self.invitation)
        log.info("Matrix: %s on %s", self.user, self.homeserver)

    def invitation(self, link: DeepLink) -> Invitation:
        """A matrix.to link opens a direct chat with the bot; a link cannot carry a first message,
        so the invitation says what to send there."""
        return Invitation(url=f"https://matrix.to/#/{quote(self.user, safe='@:')}", send=f"/start {link}")

    async def stop(self) -> None:
        await self._loop.stop()
        await self._background.cancel()
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
        """Sync, hand every event to the engine, then move the stored sync token on.

        The first sync after a start asks for the full state of every room, so that the
        client knows all rooms (and their encryption) before anything is sent."""
        since = await self._get("next_batch")
        first = True
        while True:
            response = await retrying(
                partial(self._sync_once, since, first),
                on=(RateLimited, TemporaryFailure),
                attempts=FOREVER,
                what="Matrix sync",
            )
            self._synced.set()
            await self._handle_sync(response, since, catching_up=first)
            first = False
            since = response.next_batch
            await self._set("next_batch", since)
            if self.encryption:
                await self._keep_keys()

    async def _sync_once(self, since: str | None, first: bool) -> SyncResponse:
        response = await self.client.sync(
            timeout=0 if first else SYNC_TIMEOUT_MS,
            since=since,
            sync_filter=SYNC_FILTER,
            full_state=True if first else None,
        )
        if not isinstance(response, SyncResponse):
            raise refusal(response)
        return response

    async def _keep_keys(self) -> None:
        """What matrix-nio asks of an encrypting client between syncs."""
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())

    async def _handle_sync(self, response: SyncResponse, since: str | None, *, catching_up: bool) -> None:
        """Every event of a sync is stored through the engine before the sync token moves on.

        Joins wait in the background (a rate-limited join must not hold up anyone's answer).
        A room whose timeline came `limited` is paged back to the last sync, so nothing is lost."""
        for room_id, invited in response.rooms.invite.items():
            for event in invited.invite_state:
                if isinstance(event, InviteMemberEvent) and event.state_key == self.user:
                    self._spawn(self._join(room_id, event.sender))
                    break
        for room_id, room in response.rooms.join.items():
            events = list(room.timeline.events)
            if room.timeline.limited and since:
                events = await self._missed(room_id, room.timeline.prev_batch, since) + events
            joined = False
            for event in events:
                if getattr(event, "sender", None) == self.user:
                    joined = joined or _joins(event, self.user)
                    continue
                await self._until_stored(room_id, event, catching_up)
            if joined and room_id in self._inviters:
                await self._greet(room_id, self._inviters.pop(room_id))

    async def _missed(self, room_id: str, start: str | None, since: str) -> list[Any]:
        """The events a limited timeline left out, oldest first: /messages from its start back to `since`."""
        pages: list[list[Any]] = []
        while start:
            response = await self.client.room_messages(
                room_id, start=start, end=since, direction=MessageDirection.back, limit=PAGE_LIMIT
            )
            if not isinstance(response, RoomMessagesResponse):
                raise TemporaryFailure(f"could not page back in a room ({getattr(response, 'status_code', '?')})")
            if not response.chunk:
                break
            pages.append(list(reversed(response.chunk)))
            if not response.end or response.end == start:
                break
            start = response.end
        return [event for page in reversed(pages) for event in page]

    async def _until_stored(self, room_id: str, event: Any, catching_up: bool) -> None:
        """The sync token moves on only once every event is stored, or skipped (bot/receive.py)."""
        work = partial(self._handle_event, room_id, event, catching_up)
        await self.receive.until_stored(work, f"Matrix event {event.event_id} in {room_id}")

    async def _handle_event(self, room_id: str, event: Any, catching_up: bool) -> None:
        if isinstance(event, RoomMemberEvent):
            if event.membership in ("leave", "ban") and event.state_key != self.user:
                await self._left(room_id, event.state_key)
            return
        if not self._is_direct(room_id):
            if isinstance(event, RoomMessageText) and self._addressed(event):
                self._spawn(self._point_to_direct_chat(room_id))
            return
        identity = Identity(PLATFORM, event.sender)
        content = event.source.get("content", {}) if isinstance(event.source, dict) else {}
        caption = media_caption(content) if isinstance(event, (RoomMessageMedia, RoomEncryptedMedia)) else None
        if isinstance(event, RoomMessageText) or caption is not None:
            relation = content.get("m.relates_to") or {}
            if relation.get("rel_type") == "m.replace":
                return  # an edit of an earlier message: that one was answered already
            if not catching_up and not await self._keeps_pace(room_id, event.sender):
                return
            text = caption or (strip_reply_fallback(event.body) if "m.in_reply_to" in relation else event.body)
            await self._receive(await typed(identity, room_id, event.event_id, text, self.options), room_id)
        elif isinstance(
            event, (RoomMessageEmote, RoomMessageMedia, RoomEncryptedMedia, RoomMessageUnknown, StickerEvent)
        ):
            inbound = Inbound(identity, room_id, event.event_id, InboundKind.RESUME)
            await self._receive(inbound, room_id, note=_text_only)
        elif isinstance(event, ReactionEvent):
            message = await self.port.recall_message(PLATFORM, event.reacts_to)
            key = reaction_key(event.key)
            reactions = (message or {}).get("reactions", [])
            reaction = next((r for r in reactions if reaction_key(r["key"]) == key), None)
            if reaction is None:
                return
            await self.port.remember_message(
                PLATFORM, event.event_id, {"undo": reaction["remove"], "sender": event.sender}
            )
            inbound = Inbound(identity, room_id, event.event_id, InboundKind.REACTION, reaction["add"])
            await self._receive(inbound, room_id)
        elif isinstance(event, RedactionEvent):
            reaction = await self.port.recall_message(PLATFORM, event.redacts)
            if reaction is None or reaction.get("sender") != event.sender:
                return
            inbound = Inbound(identity, room_id, event.event_id, InboundKind.REACTION, reaction["undo"])
            await self._receive(inbound, room_id)
        elif isinstance(event, MegolmEvent):
            await self._say_cannot_decrypt(room_id)

    async def _keeps_pace(self, room_id: str, sender: str) -> bool:
        """A person types a few messages a second at most: beyond that, one notice to slow down."""
        if self._pace.allow(sender):
            return True
        now = time.monotonic()
        if now - self._slowed.get(sender, -SLOW_NOTICE_GAP) >= SLOW_NOTICE_GAP:
            self._slowed = {k: v for k, v in self._slowed.items() if now - v < SLOW_NOTICE_GAP}
            self._slowed[sender] = now
            _ = self.languages.get(await self.port.language_of(Identity(PLATFORM, sender))).gettext
            text = _("You are sending messages very quickly. Please wait a moment and try again.")
            self._spawn(self._say(room_id, text))
        return False

    def _is_direct(self, room_id: str) -> bool:
        """The dialogue runs only in rooms of two: the resident and the bot."""
        room = self.client.rooms.get(room_id)
        return room is None or room.member_count <= DIRECT_ROOM_MEMBERS

    def _addressed(self, event: RoomMessageText) -> bool:
        """A command, or a message that mentions the bot."""
        content = event.source.get("content", {})
        mentions = content.get("m.mentions") or {}
        localpart = self.user.split(":", 1)[0].lstrip("@").casefold()
        return (
            event.body.strip().startswith("/")
            or self.user in (mentions.get("user_ids") or [])
            or localpart in event.body.casefold()
        )

    async def _point_to_direct_chat(self, room_id: str) -> None:
        _ = self.languages.get(None).gettext
        text = _(
            "I answer only in a direct chat, so that what you tell me stays between us. "
            "Please start a direct chat with {user}."
        ).format(user=self.user)
        await self._say(room_id, text)

    async def _say(self, room_id: str, text: str) -> None:
        try:
            await self._send_content(room_id, {"msgtype": "m.notice", "body": text})
        except TemporaryFailure:
            log.info("a note to a Matrix room was not delivered")

    async def _join(self, room_id: str, inviter: str) -> None:
        """Join a room the bot was invited to, in the background: one join at a time, each
        waiting out the homeserver's rate limit as long as it asks (never holding up receiving)."""
        self._inviters[room_id] = inviter
        async with self._joining:
            try:
                await retrying(
                    partial(self._join_once, room_id),
                    on=(RateLimited, TemporaryFailure),
                    attempts=JOIN_ATTEMPTS,
                    first=2.0,
                    patient=True,
                    what="joining a Matrix room",
                )
                return  # greeted once a sync shows the join
            except PermanentFailure as err:
                log.warning("could not join a room it was invited to: %s", err)
            except (RateLimited, TemporaryFailure):
                log.warning("gave up joining a Matrix room it was invited to")
        self._inviters.pop(room_id, None)

    async def _join_once(self, room_id: str) -> None:
        try:
            response = await self.client.join(room_id)
        except (OSError, TimeoutError, ClientError) as err:
            raise TemporaryFailure(type(err).__name__) from err
        if isinstance(response, JoinError):
            failure = refusal(response)
            raise failure if isinstance(failure, RateLimited) else PermanentFailure(response.message)

    async def _greet(self, room_id: str, inviter: str) -> None:
        """A new direct room: the inviter's screen (the language choice for someone new)."""
        room = self.client.rooms.get(room_id)
        if room is not None and room.member_count > DIRECT_ROOM_MEMBERS:
            self._spawn(self._point_to_direct_chat(room_id))
            return
        if room is not None and room.encrypted and not self.encryption:
            await self._say_cannot_decrypt(room_id)
            return
        identity = Identity(PLATFORM, inviter)
        inbound = Inbound(
            identity, room_id, f"join:{room_id}", InboundKind.RESUME, language_hint=likely_language(inviter)
        )
        await self._until_stored_inbound(inbound, room_id)

    async def _until_stored_inbound(self, inbound: Inbound, room_id: str) -> None:
        await self.receive.until_stored(partial(self._receive, inbound, room_id), f"Matrix event {inbound.event_id}")

    async def _left(self, room_id: str, user_id: str) -> None:
        """Someone left: where no resident is left, the bot leaves too, and marks them unreachable."""
        room = self.client.rooms.get(room_id)
        if room is None or any(member != self.user for member in room.users):
            return
        await self.port.mark_unreachable(Identity(PLATFORM, user_id), in_chat=room_id)
        await self.client.room_leave(room_id)
        await self.client.room_forget(room_id)
        log.info("left a Matrix room no resident is in any more")

    async def _receive(self, inbound: Inbound, room_id: str, note: Note | None = None) -> None:
        """Store the event through the one way in; its replies are sent in the background, in order.

        The options a reply shows are remembered at once, so that the next message (perhaps
        in the same sync) reads a typed number against them."""
        answer = partial(self._answer, note=note)
        await self.receive(inbound, answer, options=self.options, spawn=self._spawn)

    async def _answer(self, outbound: Outbound, note: Note | None) -> None:
        """A reply to the person who wrote (its options are remembered already), after `note` if any."""
        if note is not None:
            reply = outbound.reply
            text = note(self.languages.get(reply.language).gettext)
            outbound = replace(outbound, reply=replace(reply, blocks=(Block((Span(text),)), *reply.blocks)))
        await self.send(outbound, remember=False)

    async def _say_cannot_decrypt(self, room_id: str) -> None:
        if room_id in self._warned_encrypted:
            return
        self._warned_encrypted.add(room_id)
        _ = self.languages.get(None).gettext
        if self.encryption:
            text = _("I could not decrypt your message. Please send it again.")
        else:
            text = _(
                "This room is end-to-end encrypted, and I cannot read encrypted messages. "
                "Please write to me in a room without encryption."
            )
        self._spawn(self._say(room_id, text))

    # -- sending --------------------------------------------------------------------------------

    async def send(self, outbound: Outbound, *, remember: bool = True) -> None:
        """Send one reply; raises `DeliverLater` where the homeserver did not take it.

        A kept reply is sent with its receipt's token as the transaction id, so that the
        homeserver takes a second attempt after a crash as the same message. Replies go
        only to rooms of two: where the recipient's room has more members (a moderator's
        alert, a login link, an export), they go to a direct room with the recipient."""
        reply = outbound.reply
        receipt = outbound.receipt
        tx_id = f"reply-{receipt.token}" if receipt is not None else None
        try:
            room_id = await self._private_room(outbound.chat_id, outbound.recipient.user_id)
            async with self._room_locks.setdefault(room_id, asyncio.Lock()):
                if remember:
                    await self.options.remember(outbound.recipient, reply)
                event_id = await self._send_content(room_id, notice(reply), tx_id=tx_id)
                if reply.attachment is not None:
                    await self._send_file(room_id, reply.attachment, f"{tx_id}-file" if tx_id else None)
        except TemporaryFailure as err:
            raise DeliverLater(str(err)) from err
        if event_id and reply.reactions:
            await self.remember_reactions(event_id, reply)

    async def remember_reactions(self, event_id: str, reply: Reply) -> None:
        """What a reaction on this message means, for when one arrives."""
        reactions = [{"key": r.key, "add": r.add, "remove": r.remove} for r in reply.reactions]
        await self.port.remember_message(PLATFORM, event_id, {"reactions": reactions})

    async def _members(self, room_id: str) -> int | None:
        """How many are in a room (joined or invited); None where the bot cannot tell."""
        await self._wait_synced()
        room = self.client.rooms.get(room_id)
        if room is not None:
            return int(room.member_count)
        response = await self.client.joined_members(room_id)
        if isinstance(response, JoinedMembersResponse):
            return len(response.members)
        return None

    async def _private_room(self, room_id: str, user_id: str) -> str:
        """`room_id` if only the bot and the recipient are in it, else a direct room with them."""
        members = await self._members(room_id)
        if members is None or members <= DIRECT_ROOM_MEMBERS:
            return room_id
        kept = await self._get(f"direct:{user_id}")
        if kept:
            members = await self._members(kept)
            if members is not None and members <= DIRECT_ROOM_MEMBERS:
                return kept
        response = await self.client.room_create(
            is_direct=True, invite=[user_id], preset=RoomPreset.trusted_private_chat
        )
        if not isinstance(response, RoomCreateResponse):
            raise TemporaryFailure(f"could not open a direct room ({getattr(response, 'status_code', '?')})")
        await self._set(f"direct:{user_id}", response.room_id)
        log.info("opened a direct Matrix room for a reply not meant for a group room")
        return str(response.room_id)

    async def _wait_synced(self) -> None:
        """Until the first sync after the start: only then does the client know the rooms."""
        try:
            await asyncio.wait_for(self._synced.wait(), FIRST_SYNC_WAIT)
        except TimeoutError as err:
            raise TemporaryFailure("no sync with the homeserver yet") from err

    async def _send_file(self, room_id: str, attachment: Attachment, tx_id: str | None) -> None:
        """An attachment as an m.file: uploaded through the media API (encrypted in an encrypted room)."""
        room = self.client.rooms.get(room_id)
        encrypt = bool(self.encryption and room is not None and room.encrypted)
        try:
            uploaded, keys = await self.client.upload(
                io.BytesIO(attachment.content),
                content_type=attachment.mime_type,
                filename=attachment.filename,
                encrypt=encrypt,
                filesize=len(attachment.content),
            )
        except (OSError, TimeoutError, ClientError) as err:
            raise TemporaryFailure(type(err).__name__) from err
        if not isinstance(uploaded, UploadResponse):
            raise TemporaryFailure(f"upload refused ({getattr(uploaded, 'status_code', '?')})")
        content: dict[str, Any] = {
            "msgtype": "m.file",
            "body": attachment.filename,
            "filename": attachment.filename,
            "info": {"mimetype": attachment.mime_type, "size": len(attachment.content)},
        }
        if keys is not None:
            content["file"] = {**keys, "url": uploaded.content_uri}
        else:
            content["url"] = uploaded.content_uri
        await self._send_content(room_id, content, tx_id)

    async def send_once(self, room_id: str, content: dict[str, Any], tx_id: str | None = None) -> str:
        """One attempt, with the homeserver's answer as the broadcast sender's exceptions.

        Sending needs no room list: a room the client has not synced yet (just created, or
        before the first sync) gets the message through the plain endpoint if it is not
        encrypted; an encrypted one waits for the sync."""
        await self._wait_synced()
        try:
            if self.client.olm is not None and room_id not in self.client.rooms:
                response: Any = await self._send_to_unsynced_room(room_id, content, tx_id)
            else:
                response = await self.client.room_send(
                    room_id, "m.room.message", content, tx_id=tx_id, ignore_unverified_devices=True
                )
        except (OSError, TimeoutError, ClientError, LocalProtocolError, SendRetryError) as err:
            raise TemporaryFailure(type(err).__name__) from err
        if isinstance(response, RoomSendResponse):
            return str(response.event_id)
        code = getattr(response, "status_code", "") or ""
        if code in ("M_FORBIDDEN", "M_NOT_FOUND"):
            raise RecipientBlocked(f"{code}: {getattr(response, 'message', '')}")
        raise refusal(response)

    async def _send_to_unsynced_room(self, room_id: str, content: dict[str, Any], tx_id: str | None) -> Any:
        state = await self.client.room_get_state_event(room_id, "m.room.encryption")
        if isinstance(state, RoomGetStateEventResponse):
            raise TemporaryFailure("an encrypted room the client has not synced yet")
        method, path, data = Api.room_send(
            self.client.access_token, room_id, "m.room.message", content, tx_id or str(uuid4())
        )
        return await self.client._send(RoomSendResponse, method, path, data, (room_id,))

    async def _send_content(self, room_id: str, content: dict[str, Any], tx_id: str | None = None) -> str | None:
        """Send, waiting out rate limits (M_LIMIT_EXCEEDED) and retrying transient errors.

        None where the room refused it; `TemporaryFailure` where it could not be sent now.
        This runs in the background (or in the broadcast sender): waiting blocks no receiving."""
        send = partial(self.send_once, room_id, content, tx_id)
        try:
            return await retrying(send, on=(RateLimited, TemporaryFailure), attempts=SEND_ATTEMPTS, longest=30.0)
        except RecipientBlocked as err:
            log.info("a Matrix room refused the message: %s", err)
            return None
        except (RateLimited, TemporaryFailure) as err:
            raise TemporaryFailure("not delivered after retries") from err


def refusal(response: Any) -> RateLimited | TemporaryFailure:
    """A homeserver's error answer: slow down for `retry_after_ms` (M_LIMIT_EXCEEDED), or try again later."""
    code = getattr(response, "status_code", "") or ""
    retry = getattr(response, "retry_after_ms", None)
    if code == "M_LIMIT_EXCEEDED" or retry:
        return RateLimited((retry or 1000) / 1000)
    return TemporaryFailure(code or "unanswered")


def _joins(event: Any, user: str) -> bool:
    return isinstance(event, RoomMemberEvent) and event.state_key == user and event.membership == "join"


def _text_only(_: Callable[[str], str]) -> str:
    return _("I can only read text. Please type your answer, or choose one of the options below.")


def strip_reply_fallback(body: str) -> str:
    """A rich reply quotes the message it answers (lines starting with '>', then a blank line): drop the quote."""
    lines = body.split("\n")
    quoted = 0
    while quoted < len(lines) and lines[quoted].startswith(">"):
        quoted += 1
    if quoted == 0:
        return body
    if quoted < len(lines) and not lines[quoted].strip():
        quoted += 1
    return "\n".join(lines[quoted:])


SKIN_TONES = {chr(code) for code in range(0x1F3FB, 0x1F400)}


def media_caption(content: dict[str, Any]) -> str | None:
    """What a person wrote beneath a picture or file. Since Matrix 1.10 a media message's `body` is
    a caption where a `filename` is given and differs from it; else `body` is the file's name."""
    body, filename = content.get("body"), content.get("filename")
    if isinstance(body, str) and isinstance(filename, str) and body.strip() and body != filename:
        return body
    return None


def reaction_key(key: str) -> str:
    """A reaction without its variation selector (U+FE0F) and skin tone: 👍️ and 👍🏽 are 👍."""
    return "".join(c for c in key if c != "\ufe0f" and c not in SKIN_TONES)


LANGUAGE_OF_DOMAIN = {
    **dict.fromkeys(("de", "at", "ch", "li"), "de"),
    **dict.fromkeys(("uk", "ie", "us"), "en"),  # .uk is the United Kingdom; Ukraine is .ua
    "tr": "tr",
    "ua": "uk",
    **dict.fromkeys(("sa", "ae", "eg", "sy", "iq", "jo", "lb", "ma", "dz", "tn", "ly", "ye", "qa", "kw", "om"), "ar"),
}


def likely_language(user_id: str) -> str | None:
    """A Matrix id tells no language; its homeserver's country domain is the best guess (else the default)."""
    top = user_id.rsplit(".", 1)[-1].split(":", 1)[0].lower() if "." in user_id else ""
    return LANGUAGE_OF_DOMAIN.get(top)
