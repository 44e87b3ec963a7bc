"""Kept replies on both databases: a live process's replies are its own, a dead one's are taken over."""

from __future__ import annotations

from bot.delivery import DeliverLater, Delivery
from bot.reply_outbox import ReplyOutbox
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import InboundKind, Outbound
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
