"""The store under concurrency, on SQLite and (where reachable) PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from bot.app import build_engine
from bot.config import Settings
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity, InboundKind
from storage.models import processed_event_table
from storage.store import Store, Tx
from tests.chat import Chat
from tests.helpers import assert_supports_consistent, resident, seed_idea, support_count
from tests.texts import WELCOME, de

WORKERS = 8


@pytest.fixture
def shared_store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    yield store
    store.dispose()


@pytest.fixture
def busy_engine(content: Content, languages: Languages, shared_store: Store) -> Iterator[Engine]:
    """An engine that really runs events in parallel threads, as several webhook workers would."""
    engine = Engine(content, languages, shared_store, workers=WORKERS)
    yield engine
    engine.close()


def test_read_modify_write_loses_no_update(shared_store: Store) -> None:
    """Each transaction reads a counter, waits, writes it back plus one: none may be lost."""
    shared_store.run(lambda tx: tx.load_or_create_resident("test", "counter", "c", "menu", shared_store.now()))
    barrier = threading.Barrier(WORKERS)

    def increment(tx) -> None:  # type: ignore[no-untyped-def]
        record = tx.load_resident("test", "counter")
        record.context["n"] = record.context.get("n", 0) + 1
        time.sleep(0.002)  # widen the window in which another writer could interleave
        tx.save_resident(record, shared_store.now())

    def worker() -> None:
        barrier.wait()
        for _ in range(5):
            shared_store.run(increment)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record = resident(shared_store, Identity("test", "counter"))
    assert record is not None
    assert record.context["n"] == WORKERS * 5
    assert record.version == WORKERS * 5
    assert_supports_consistent(shared_store)


async def test_double_tap_on_support_counts_once(busy_engine: Engine, shared_store: Store) -> None:
    idea_id = seed_idea(shared_store)
    chat = Chat(busy_engine, "doppelt")
    await chat.onboard()
    await chat.presses("Ideen nach Thema")
    await chat.presses("Mobilität")
    await chat.presses("Ideen anzeigen")
    await chat.presses("Echtzeit")
    payload = chat.button(de("👍 Support this idea"))
    inbounds = [chat.inbound(InboundKind.BUTTON, payload) for _ in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(busy_engine.handle_blocking, inbounds))
    texts = [r[0].reply.plain_text for r in results if r]
    assert len(texts) == 1 and de("Thank you! You now support this idea.") in texts[0]
    assert results.count([]) == WORKERS - 1, "the other taps are answered quietly: the thanks stays on screen"
    assert support_count(shared_store, idea_id) == 1
    assert_supports_consistent(shared_store)


async def test_concurrent_events_of_one_resident_lose_no_transition(busy_engine: Engine, shared_store: Store) -> None:
    chat = Chat(busy_engine, "schnell")
    await chat.onboard()
    before = resident(shared_store, chat.identity)
    assert before is not None
    inbounds = [chat.inbound(InboundKind.COMMAND, "/help") for _ in range(WORKERS * 3)]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(busy_engine.handle_blocking, inbounds))
    assert all(de("How this works") in r[0].reply.plain_text for r in results)
    after = resident(shared_store, chat.identity)
    assert after is not None
    assert after.version == before.version + WORKERS * 3
    generations = sorted(int(r[0].reply.all_buttons()[0].payload.split(".")[0]) for r in results)
    assert len(set(generations)) == WORKERS * 3, "every event saw the state the previous one left"
    assert_supports_consistent(shared_store)


async def test_same_event_delivered_concurrently_is_processed_once(busy_engine: Engine, shared_store: Store) -> None:
    chat = Chat(busy_engine, "wiederholt")
    await chat.onboard()
    inbound = chat.inbound(InboundKind.BUTTON, chat.button(de("Settings")), event_id="update-4711")
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(busy_engine.handle_blocking, [inbound] * WORKERS))
    answered = [r for r in results if r]
    assert len(answered) == 1
    assert answered[0][0].reply.plain_text.startswith(de("Settings"))
    assert_supports_consistent(shared_store)


async def test_first_contact_twice_at_once_creates_one_resident(busy_engine: Engine, shared_store: Store) -> None:
    chat = Chat(busy_engine, "neu")
    inbounds = [chat.inbound(InboundKind.TEXT, "Hallo") for _ in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(busy_engine.handle_blocking, inbounds))
    assert all(de(WELCOME) in r[0].reply.plain_text for r in results)
    record = resident(shared_store, chat.identity)
    assert record is not None and record.state == "language"
    assert_supports_consistent(shared_store)


def test_votes_of_many_residents_add_up(shared_store: Store) -> None:
    idea_id = seed_idea(shared_store)
    now = shared_store.now()

    def vote(name: str) -> None:
        def work(tx) -> None:  # type: ignore[no-untyped-def]
            record = tx.load_or_create_resident("test", name, name, "menu", now)
            tx.add_vote(record.id, idea_id, now)
            tx.add_vote(record.id, idea_id, now)

        shared_store.run(work)

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(vote, [f"r{i}" for i in range(40)]))
    assert support_count(shared_store, idea_id) == 40
    assert_supports_consistent(shared_store)


def test_old_event_ids_are_pruned(shared_store: Store) -> None:
    from datetime import timedelta

    now = shared_store.now()
    shared_store.run(lambda tx: tx.claim_event("test", "old", now - timedelta(days=30)))
    shared_store.run(lambda tx: tx.claim_event("test", "new", now))
    assert shared_store.run(lambda tx: tx.prune_events(now - timedelta(days=14))) == 1
    assert shared_store.run(lambda tx: tx.claim_event("test", "new", now)) is False
    assert shared_store.run(lambda tx: tx.claim_event("test", "old", now)) is True


def backdate_event(store: Store, event_id: str, days: int) -> None:
    table = processed_event_table
    when = store.now() - timedelta(days=days)
    store.run(lambda tx: tx.execute(update(table).where(table.c.event_id == event_id).values(processed_at=when)))


async def test_an_event_id_older_than_a_week_is_a_new_event(busy_engine: Engine, shared_store: Store) -> None:
    """Telegram may number its updates afresh after a week without any."""
    chat = Chat(busy_engine, "paula")
    await chat.onboard()
    inbound = chat.inbound(InboundKind.COMMAND, "/menu", event_id="update-5")
    assert await busy_engine.handle(inbound)
    backdate_event(shared_store, "update-5", days=6)
    assert await busy_engine.handle(inbound) == [], "within a week the same id is a redelivery"
    backdate_event(shared_store, "update-5", days=8)
    again = await busy_engine.handle(inbound)
    assert again and again[0].recipient == chat.identity, "after a week it is answered as a new event"
    assert await busy_engine.handle(inbound) == [], "and then counts as seen again"


def test_start_up_forgets_event_ids_older_than_a_week(shared_store: Store, store_url: str) -> None:
    now = shared_store.now()
    for event_id, days in (("eight-days", 8), ("six-days", 6)):
        assert shared_store.run(lambda tx, d=days, e=event_id: tx.claim_event("test", e, now - timedelta(days=d)))
    engine = build_engine(Settings(DATABASE_URL=store_url))  # type: ignore[call-arg]
    try:
        kept = shared_store.run(lambda tx: tx.rows(select(processed_event_table.c.event_id)))
        assert [row[0] for row in kept] == ["six-days"]
    finally:
        engine.close()
        engine.store.dispose()


def test_two_writers_in_a_deadlock_both_get_through(postgres_url: str) -> None:
    """PostgreSQL ends one of them with a deadlock error from the driver; the store runs it again."""
    store = Store(postgres_url)
    try:
        first, second = seed_idea(store, "Bänke am Kocher"), seed_idea(store, "Bänke an der Brenz")
        both_hold_one = threading.Barrier(2, timeout=10)
        attempts = {"ab": 0, "ba": 0}

        def lock_both(name: str, order: tuple[int, int]) -> str:
            def work(tx: Tx) -> str:
                attempts[name] += 1
                tx.lock_idea(order[0])
                if attempts[name] == 1:
                    both_hold_one.wait()
                tx.lock_idea(order[1])
                return name

            return store.run(work)

        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(lock_both, ["ab", "ba"], [(first, second), (second, first)]))
        assert done == ["ab", "ba"]
        assert attempts["ab"] + attempts["ba"] >= 3, "one of the two was the deadlock's victim and ran again"
    finally:
        store.dispose()


def test_an_outage_is_told_apart_from_a_wrong_query(store_url: str) -> None:
    """Only an outage makes a redelivering platform send the event again; a bug would come back each time."""
    store = Store(store_url)
    try:
        row = {"platform": "web", "event_id": None, "processed_at": store.now()}
        with pytest.raises(Exception) as wrong:
            store.run(lambda tx: tx.execute(insert(processed_event_table).values(**row)))
        assert not store.unavailable(wrong.value)
    finally:
        store.dispose()
    gone = "postgresql://postgres@127.0.0.1:9/test" if "postgresql" in store_url else "sqlite:////nonexistent/x.db"
    away = Store(gone)
    try:
        with pytest.raises(Exception) as outage:
            away.run(lambda tx: tx.rows(select(processed_event_table.c.event_id)))
        assert store.unavailable(outage.value)
    finally:
        away.dispose()
