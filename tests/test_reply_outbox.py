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


async def test_a_dead_process_replies_are_sent_by_the_next(
    store_url: str, content: Content, languages: Languages
) -> None:
    first_store, second_store = Store(store_url), Store(store_url)
    first = Engine(content, languages, first_store, worker="first")
    first_outbox = ReplyOutbox(first_store, first.worker, Delivery())
    await first_outbox.hold()
    await first.handle(Chat(first, "erika").inbound(InboundKind.COMMAND, "/start"))
    assert kept_rows(first_store) == 1, "the answer is kept with the event"

    second = Engine(content, languages, second_store, worker="second")
    delivery = Delivery()
    platform = Platform(delivery)
    second_outbox = ReplyOutbox(second_store, second.worker, delivery)
    await second_outbox.hold()
    await second_outbox.run_once()
    assert platform.received == [], "a live process's replies are its own"

    await first_outbox.stop()  # the first process dies: its lock goes with it
    later = second_store.now() + timedelta(minutes=1)  # past the grace a PostgreSQL lock gets
    second_store.now = lambda: later  # type: ignore[method-assign]
    await second_outbox.run_once()
    assert len(platform.received) == 1 and "Sprache" in platform.received[0]
    assert kept_rows(second_store) == 0, "sent once, then forgotten"
    await second_outbox.run_once()
    assert len(platform.received) == 1, "never twice"
    await second_outbox.stop()
    for engine in (first, second):
        engine.close()
        engine.store.dispose()


async def test_a_failed_send_is_tried_again_later(store_url: str, content: Content, languages: Languages) -> None:
    store = Store(store_url)
    engine = Engine(content, languages, store)
    delivery = Delivery()
    platform = Platform(delivery)
    outbox = ReplyOutbox(store, engine.worker, delivery)
    await outbox.hold()
    platform.down = True
    for outbound in await engine.handle(Chat(engine, "max").inbound(InboundKind.COMMAND, "/start")):
        await delivery.hand(outbound)
    assert platform.received == [] and kept_rows(store) == 1, "kept while the platform is down"

    platform.down = False
    await outbox.run_once()
    assert platform.received == [], "not before its time"
    soon = store.now() + replies.RETRY_DELAYS[0]
    store.now = lambda: soon  # type: ignore[method-assign]
    await outbox.run_once()
    assert len(platform.received) == 1 and kept_rows(store) == 0
    await outbox.stop()
    engine.close()
    store.dispose()


def test_a_kept_reply_comes_back_with_everything_a_platform_needs() -> None:
    """What is sent after a restart is the reply itself: reactions (Matrix), a role change (Telegram's menu)."""
    reply = Reply(
        blocks=(Block((Span("Idee ", "bold"), Span("Nr. 7", "link", "https://example.org/7")), item=True),),
        buttons=((Button("Zurück", "3.0"),),),
        attachment=Attachment("daten.json", "application/json", b'{"a": 1}'),
        language="de",
        expects_text=True,
        reactions=(Reaction("👍", "r.support.7", "r.withdraw.7"),),
        roles_changed=True,
    )
    again = reply_from_data(json.loads(json.dumps(reply_to_data(reply))))
    assert again == replace(reply, replaces_menu=False), "only where to edit is left out: it is sent anew"


async def test_a_process_that_lost_its_lock_keeps_its_replies(
    postgres_url: str, content: Content, languages: Languages
) -> None:
    """A broken database connection ends a PostgreSQL lock, not the process: nobody else sends its replies."""
    import psycopg

    from storage.leadership import LOCK_NAMESPACE, AdvisoryLock

    live_store, other_store = Store(postgres_url), Store(postgres_url)
    live = Engine(content, languages, live_store, worker="live")
    live_delivery = Delivery()
    live_platform = Platform(live_delivery)
    live_outbox = ReplyOutbox(live_store, live.worker, live_delivery)
    await live_outbox.hold()
    live_platform.down = True
    for outbound in await live.handle(Chat(live, "erika").inbound(InboundKind.COMMAND, "/start")):
        await live_delivery.hand(outbound)  # not taken now: kept, to be tried again by the live process

    key = AdvisoryLock(live_outbox.database_url, "worker.live").key % 2**32
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks"
            " WHERE locktype = 'advisory' AND classid = %s AND objid = %s",
            (LOCK_NAMESPACE, key),
        ).fetchall()
    assert ended == [(True,)], "the live process's lock connection is cut"
    other = Engine(content, languages, other_store, worker="other")
    other_delivery = Delivery()
    other_platform = Platform(other_delivery)
    other_outbox = ReplyOutbox(other_store, other.worker, other_delivery)
    await other_outbox.hold()
    await other_outbox.run_once()
    assert other_platform.received == [], "a reply that young is not taken from a process that may live"

    await live_outbox.run_once()  # the live process notices, and takes its lock back
    later = other_store.now() + timedelta(minutes=5)
    other_store.now = lambda: later  # type: ignore[method-assign]
    await other_outbox.run_once()
    assert other_platform.received == [], "the live process holds its lock again"
    live_platform.down = False
    live_store.now = lambda: later  # type: ignore[method-assign]
    await live_outbox.run_once()
    assert len(live_platform.received) == 1 and other_platform.received == []
    for outbox in (live_outbox, other_outbox):
        await outbox.stop()
    for engine in (live, other):
        engine.close()
        engine.store.dispose()
