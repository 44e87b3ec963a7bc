"""Kept replies on both databases: a live process's replies are its own, a dead one's are taken over."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from bot.delivery import DeliverLater, Delivery
from bot.reply_outbox import ReplyOutbox
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import (
    Attachment,
    Block,
    Button,
    InboundKind,
    Outbound,
    Reaction,
    Reply,
    Span,
    reply_from_data,
    reply_to_data,
)
from storage import replies
from storage.models import pending_reply_table
from storage.store import Store
from tests.chat import Chat
from tests.texts import de


def kept_rows(store: Store) -> int:
    return len(store.run(lambda tx: tx.rows(pending_reply_table.select())))


class Platform:
    """A platform as the outbox sees it: takes a message, or fails while it is `down`."""

    def __init__(self, delivery: Delivery) -> None:
        self.received: list[str] = []
        self.down = False
        delivery.register("test", self.send)

    async def send(self, outbound: Outbound) -> None:
        if self.down:
            raise DeliverLater("platform unreachable")
        self.received.append(outbound.reply.plain_text)


class Process:
    """One running bot as far as kept replies go: its store, engine, platform and outbox."""

    def __init__(self, url: str, content: Content, languages: Languages, worker: str) -> None:
        self.store = Store(url)
        self.engine = Engine(content, languages, self.store, worker=worker)
        self.delivery = Delivery()
        self.platform = Platform(self.delivery)
        self.outbox = ReplyOutbox(self.store, worker, self.delivery)

    async def start(self) -> Process:
        await self.outbox.hold()
        return self

    async def answer(self, name: str, text: str) -> None:
        """A resident writes; the answers are handed to the platform as an adapter does."""
        for outbound in await self.engine.handle(Chat(self.engine, name).inbound(InboundKind.COMMAND, text)):
            await self.delivery.hand(outbound)

    def clock_ahead(self, by: timedelta) -> None:
        later = self.store.now() + by
        self.store.now = lambda: later  # type: ignore[method-assign]

    async def stop(self) -> None:
        await self.outbox.stop()
        self.engine.close()
        self.store.dispose()


async def test_a_dead_process_replies_are_sent_by_the_next(
    store_url: str, content: Content, languages: Languages
) -> None:
    first = await Process(store_url, content, languages, "first").start()
    await first.engine.handle(Chat(first.engine, "erika").inbound(InboundKind.COMMAND, "/start"))
    assert kept_rows(first.store) == 1, "the answer is kept with the event"

    second = await Process(store_url, content, languages, "second").start()
    await second.outbox.run_once()
    assert second.platform.received == [], "a live process's replies are its own"

    await first.stop()  # the first process dies: its lock goes with it
    second.clock_ahead(timedelta(minutes=1))  # past the grace a PostgreSQL lock gets
    await second.outbox.run_once()
    assert len(second.platform.received) == 1 and "Sprache" in second.platform.received[0]
    assert kept_rows(second.store) == 0, "sent once, then forgotten"
    await second.outbox.run_once()
    assert len(second.platform.received) == 1, "never twice"
    await second.stop()


async def test_a_failed_send_is_tried_again_later(store_url: str, content: Content, languages: Languages) -> None:
    process = await Process(store_url, content, languages, "only").start()
    process.platform.down = True
    await process.answer("max", "/start")
    assert process.platform.received == [] and kept_rows(process.store) == 1, "kept while the platform is down"

    process.platform.down = False
    await process.outbox.run_once()
    assert process.platform.received == [], "not before its time"
    process.clock_ahead(replies.RETRY_DELAYS[0])
    await process.outbox.run_once()
    assert len(process.platform.received) == 1 and kept_rows(process.store) == 0
    await process.stop()


def test_a_kept_reply_comes_back_with_everything_a_platform_needs() -> None:
    """What is sent after a restart is the reply itself: reactions (Matrix), a role change (Telegram's menu)."""
    reply = Reply(
        blocks=(Block((Span("Idee ", "bold"), Span("Nr. 7", "link", "https://example.org/7")), item=True),),
        buttons=((Button(de("Back"), "3.0"),),),
        attachment=Attachment("daten.json", "application/json", b'{"a": 1}'),
        language="de",
        expects_text=True,
        reactions=(Reaction("👍", "r.support.7", "r.withdraw.7"),),
        roles_changed=True,
    )
    again = reply_from_data(json.loads(json.dumps(reply_to_data(reply))))
    assert again == replace(reply, replaces_menu=False), "only where to edit is left out: it is sent anew"


def test_a_reply_kept_before_blocks_had_a_language_still_loads() -> None:
    """Replies kept before a block could name its language (the first screen's greetings) have no
    "lang": they load, every block in the reply's language; a greeting's language is kept from now on."""
    kept_earlier = {
        "blocks": [{"item": False, "spans": [["Willkommen beim Mitmach-Bot!", "plain", None]]}],
        "buttons": [[["Deutsch", "1.0"]]],
        "language": "de",
    }
    reply = reply_from_data(json.loads(json.dumps(kept_earlier)))
    assert [block.language for block in reply.blocks] == [None] and reply.blocks[0].text.startswith("Willkommen")
    greeting = Block((Span("Welcome to the Mitmach-Bot!"),), language="en")
    again = reply_from_data(json.loads(json.dumps(reply_to_data(replace(reply, blocks=(greeting,))))))
    assert again.blocks == (greeting,)


async def test_a_process_that_lost_its_lock_keeps_its_replies(
    postgres_url: str, content: Content, languages: Languages
) -> None:
    """A broken database connection ends a PostgreSQL lock, not the process: nobody else sends its replies."""
    import psycopg

    from storage.leadership import LOCK_NAMESPACE, AdvisoryLock

    live = await Process(postgres_url, content, languages, "live").start()
    live.platform.down = True
    await live.answer("erika", "/start")  # not taken now: kept, to be tried again by the live process

    key = AdvisoryLock(live.outbox.database_url, "worker.live").key % 2**32
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks"
            " WHERE locktype = 'advisory' AND classid = %s AND objid = %s",
            (LOCK_NAMESPACE, key),
        ).fetchall()
    assert ended == [(True,)], "the live process's lock connection is cut"
    other = await Process(postgres_url, content, languages, "other").start()
    await other.outbox.run_once()
    assert other.platform.received == [], "a reply that young is not taken from a process that may live"

    await live.outbox.run_once()  # the live process notices, and takes its lock back
    other.clock_ahead(timedelta(minutes=5))
    await other.outbox.run_once()
    assert other.platform.received == [], "the live process holds its lock again"
    live.platform.down = False
    live.clock_ahead(timedelta(minutes=5))
    await live.outbox.run_once()
    assert len(live.platform.received) == 1 and other.platform.received == []
    for process in (live, other):
        await process.stop()
