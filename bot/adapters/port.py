"""The store as adapters see it: a few named questions and notes, nothing else.

Adapters translate; they hold no business rule and write no table themselves. What a
platform must remember between runs (a login, a sync token, the options last shown,
a message's reactions) or learn about a person (their language, their roles, that they
blocked the bot) goes through this port, which the wiring passes in. Each call is one
short transaction in a worker thread, so that no adapter blocks the event loop on the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from dialogs import roles
from dialogs.messages import Identity
from storage import outbox, platform_state, wakeups
from storage.models import OutboxStatus, Role
from storage.moderation import Contact, contact_of
from storage.store import Store, Tx

NoticeListener = wakeups.Listener


class StorePort:
    def __init__(self, store: Store, admins: Iterable[Identity] = ()) -> None:
        self._store = store
        self._admins = frozenset(admins)
        self.notices_channel = wakeups.channel_for(store.engine.url.render_as_string(hide_password=False), "notices")
        """Where every worker hears of a notice kept for someone (storage/wakeups.py)."""

    async def _run(self, work: Any) -> Any:
        return await asyncio.to_thread(self._store.run, work)

    # -- what a platform keeps between runs -------------------------------------------------

    async def value(self, key: str) -> str | None:
        return await asyncio.to_thread(platform_state.get_value, self._store, key)

    async def keep_value(self, key: str, value: str) -> None:
        await asyncio.to_thread(platform_state.set_value, self._store, key, value)

    async def keep_value_for(self, identity: Identity, key: str, value: str) -> bool:
        """`keep_value` about a person, only while the store knows them (not after their erasure)."""
        return await asyncio.to_thread(
            platform_state.set_value_for, self._store, identity.platform, identity.user_id, key, value
        )

    def first_value(self, key: str, value: str) -> str:
        """The value under `key`, keeping `value` there if there was none (at start-up, before the loop runs)."""
        return platform_state.get_value(self._store, key) or platform_state.keep_first_value(self._store, key, value)

    async def remember_message(self, platform: str, message_id: str, data: dict[str, Any]) -> None:
        store = self._store
        await asyncio.to_thread(platform_state.remember_message, store, platform, message_id, data, store.now())

    async def remember_message_to(self, identity: Identity, message_id: str, data: dict[str, Any]) -> bool:
        """`remember_message` about a message to a person, only while the store knows them."""
        store, platform, user_id = self._store, identity.platform, identity.user_id
        return await asyncio.to_thread(
            platform_state.remember_message_for, store, platform, user_id, message_id, data, store.now()
        )

    async def recall_message(self, platform: str, message_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(platform_state.recall_message, self._store, platform, message_id)

    async def claim_event(self, platform: str, event_id: str) -> bool:
        """Whether this is the first time any worker process sees the event (delivery is at least once)."""
        store = self._store
        return bool(await asyncio.to_thread(store.run, lambda tx: tx.claim_event(platform, event_id, store.now())))

    async def take_message(self, platform: str, message_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(platform_state.take_message, self._store, platform, message_id)

    async def keep_notice(self, identity: Identity, reply: dict[str, Any]) -> bool:
        """Keep a notice for someone's next visit (a page that is not open now)."""
        store = self._store
        return await asyncio.to_thread(
            platform_state.keep_notice,
            store,
            identity.platform,
            identity.user_id,
            reply,
            store.now(),
            self.notices_channel,
        )

    def listen_for_notices(self, on_person: Callable[[str | None], None]) -> NoticeListener:
        """Hear of every notice kept by any worker process: `on_person` gets whom it is for (see `named`),
        or None after (re)connecting, when any may have been missed. Started at once; nothing on SQLite."""
        url = self._store.engine.url.render_as_string(hide_password=False)
        listener = wakeups.Listener(url, "notices", on_person)
        listener.start()
        return listener

    @staticmethod
    def named(identity: Identity, person: str) -> bool:
        """Whether a notice heard of (`listen_for_notices`) is for `identity`."""
        return wakeups.who(identity.user_id) == person

    async def take_notices(self, identity: Identity) -> list[dict[str, Any]]:
        return await asyncio.to_thread(platform_state.take_notices, self._store, identity.platform, identity.user_id)

    # -- people -------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._store.now()

    async def last_message_at(self, identity: Identity, key: str) -> tuple[datetime | None, str | None]:
        """When the person last wrote to the bot (a platform's messaging window opens then), and the
        value kept under `key` (what the platform said about that window), in one read.

        Asked before every message a broadcast sends: on SQLite the read (a snapshot, a fraction of a
        millisecond, never waiting for a writer) runs inline, as the engine's events do, since a hop
        to a worker thread would cost more and make the sends' timing uneven."""
        store, platform, user_id = self._store, identity.platform, identity.user_id
        if store.dialect == "sqlite":
            return platform_state.last_message_at(store, platform, user_id, key)
        return await asyncio.to_thread(platform_state.last_message_at, store, platform, user_id, key)

    async def is_known(self, identity: Identity) -> bool:
        found = await self._run(lambda tx: tx.load_resident(identity.platform, identity.user_id))
        return found is not None

    async def language_of(self, identity: Identity) -> str | None:
        contact = await self._run(lambda tx: contact_of(tx, identity.platform, identity.user_id))
        return contact.language if contact is not None else None

    async def mark_unreachable(self, identity: Identity, *, in_chat: str | None = None) -> None:
        """The platform will not deliver to this person (blocked bot, left room); with `in_chat`,
        only if that is the chat where they talk to the bot."""
        now = self._store.now()

        def mark(tx: Tx) -> None:
            if in_chat is not None:
                contact = contact_of(tx, identity.platform, identity.user_id)
                if contact is None or contact.chat_id != in_chat:
                    return
            tx.set_reachable(identity.platform, identity.user_id, now)

        await self._run(mark)

    async def role_holders(self, platform: str) -> list[tuple[Contact, set[Role]]]:
        """Everyone on `platform` with a role (BOT_ADMINS included), with the chat where they talk to the bot."""
        found: list[tuple[Contact, set[Role]]] = await self._run(lambda tx: roles.holders(tx, self._admins, platform))
        return found

    async def roles_of(self, identity: Identity) -> set[Role]:
        found = await self._run(lambda tx: roles.grants(tx, self._admins, identity))
        return roles.held(found)

    # -- what a platform reports later about a broadcast message ----------------------------------

    async def broadcast_not_delivered(self, platform: str, message_id: str, status: OutboxStatus) -> bool:
        """A broadcast message the platform took was not delivered: it counts as `status` in the figures."""
        now = self._store.now()
        found: bool = await self._run(lambda tx: outbox.not_delivered(tx, platform, message_id, status, now))
        return found

    async def broadcast_send_again(self, platform: str, message_id: str) -> bool:
        """A broadcast message the platform took but did not deliver goes once more (another way)."""
        now = self._store.now()
        found: bool = await self._run(lambda tx: outbox.send_again(tx, platform, message_id, now))
        return found
