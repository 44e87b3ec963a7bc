"""The outbox in the store, on SQLite and PostgreSQL: recipients written up front, claims, results."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from storage import outbox, personal_data, subscriptions
from storage.models import BroadcastStatus, OutboxStatus
from storage.store import Store, Tx
from storage.subscriptions import Audience
from tests.helpers import assert_supports_consistent


@pytest.fixture
def any_store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    yield store
    store.dispose()


def add_residents(store: Store, platform: str, count: int, city: str = "aalen", topic: str = "city") -> list[int]:
    def work(tx: Tx) -> list[int]:
        ids = []
        for number in range(count):
            record = tx.load_or_create_resident(platform, f"u{number}", str(1000 + number), "menu", store.now())
            record.city, record.language = city, "de"
            tx.save_resident(record, store.now())
            subscriptions.subscribe(tx, record.id, topic, store.now())
            ids.append(record.id)
        return ids

    return store.run(work)


def new_broadcast(store: Store, audience: Audience | None = None) -> int:
    return store.run(
        lambda tx: outbox.create_broadcast(
            tx,
            author=("telegram", "9999", "9999", "de"),
            text="Neuigkeiten aus dem Rathaus",
            audience=audience or Audience(),
            idea_id=None,
            button=None,
            send_at=store.now(),
            now=store.now(),
        )
    )


def test_recipients_are_written_once_for_exactly_the_audience(any_store: Store) -> None:
    store = any_store
    add_residents(store, "telegram", 3)
    add_residents(store, "matrix", 2, city="heidenheim")
    add_residents(store, "web", 2, topic="field:mobilitaet")
    add_residents(store, "console", 1)
    store.run(lambda tx: tx.set_reachable("telegram", "u0", store.now()))
    aalen = new_broadcast(store, Audience("aalen"))
    everyone = new_broadcast(store)
    promoted = store.run(lambda tx: outbox.promote_due(tx, store.now()))
    assert promoted == [(aalen, 2), (everyone, 6)], "unreachable and console residents are left out"
    assert store.run(lambda tx: outbox.promote_due(tx, store.now())) == [], "a second scheduler writes nothing"
    assert store.run(lambda tx: outbox.get(tx, everyone)).total == 6  # type: ignore[union-attr]


def test_claim_send_record_and_finish(any_store: Store) -> None:
    store = any_store
    residents = add_residents(store, "telegram", 5)
    broadcast = new_broadcast(store)
    store.run(lambda tx: outbox.promote_due(tx, store.now()))
    first = store.run(lambda tx: outbox.claim(tx, "telegram", 3, store.now()))
    assert [row.resident_id for row in first] == residents[:3]
    assert {row.chat_id for row in first} == {"1000", "1001", "1002"}
    rest = store.run(lambda tx: outbox.claim(tx, "telegram", 10, store.now()))
    assert len(rest) == 2, "claimed rows are not handed out twice"
    now = store.now()
    results = [
        outbox.Result(first[0].id, first[0].resident_id, OutboxStatus.SENT, 1, now, now),
        outbox.Result(first[1].id, first[1].resident_id, OutboxStatus.UNREACHABLE, 1, now),
        outbox.Result(first[2].id, first[2].resident_id, OutboxStatus.FAILED, 6, now),
    ]
    store.run(lambda tx: outbox.record(tx, results, now))
    assert store.run(lambda tx: outbox.release_claims(tx, "telegram")) == 2, "the sender died with two in hand"
    figures = store.run(lambda tx: outbox.figures(tx, broadcast))
    assert (figures.sent, figures.unreachable, figures.failed, figures.waiting) == (1, 1, 1, 2)
    blocked = store.run(lambda tx: tx.load_resident("telegram", "u1"))
    assert blocked is not None and blocked.unreachable_since is not None
    assert store.run(lambda tx: outbox.finish_completed(tx, store.now())) == []
    again = store.run(lambda tx: outbox.claim(tx, "telegram", 10, store.now()))
    store.run(
        lambda tx: outbox.record(
            tx, [outbox.Result(r.id, r.resident_id, OutboxStatus.SENT, 1, now, now) for r in again], now
        )
    )
    assert store.run(lambda tx: outbox.finish_completed(tx, store.now())) == [broadcast]
    assert store.run(lambda tx: outbox.get(tx, broadcast)).status == BroadcastStatus.DONE.value  # type: ignore[union-attr]


def test_deleting_a_resident_removes_their_outbox_rows(any_store: Store) -> None:
    store = any_store
    residents = add_residents(store, "telegram", 2)
    broadcast = new_broadcast(store)
    store.run(lambda tx: outbox.promote_due(tx, store.now()))
    assert store.run(lambda tx: personal_data.erase_resident(tx, residents[0]))
    assert store.run(lambda tx: outbox.figures(tx, broadcast)).total == 1


def test_a_claimed_row_of_an_erased_resident_is_no_longer_claimed(any_store: Store) -> None:
    store = any_store
    residents = add_residents(store, "telegram", 3)
    new_broadcast(store)
    store.run(lambda tx: outbox.promote_due(tx, store.now()))
    claimed = store.run(lambda tx: outbox.claim(tx, "telegram", 10, store.now()))
    assert store.run(lambda tx: personal_data.erase_resident(tx, residents[1]))
    ids = [row.id for row in claimed]
    still = store.read(lambda tx: outbox.still_claimed(tx, ids))
    assert still == {row.id for row in claimed if row.resident_id != residents[1]}


def test_claims_by_concurrent_senders_are_disjoint(postgres_url: str) -> None:
    """FOR UPDATE SKIP LOCKED: a second claimer skips the rows a first one holds, without waiting."""
    store = Store(postgres_url)
    try:
        add_residents(store, "telegram", 10)
        new_broadcast(store)
        store.run(lambda tx: outbox.promote_due(tx, store.now()))
        first_holds = threading.Event()
        second_done = threading.Event()
        claimed: dict[str, list[int]] = {}

        def first() -> None:
            with store.transaction() as tx:
                claimed["first"] = [r.id for r in outbox.claim(tx, "telegram", 6, store.now())]
                first_holds.set()
                second_done.wait(10)

        thread = threading.Thread(target=first)
        thread.start()
        assert first_holds.wait(10)
        with store.transaction() as tx:
            claimed["second"] = [r.id for r in outbox.claim(tx, "telegram", 6, store.now())]
        second_done.set()
        thread.join()
        assert len(claimed["first"]) == 6 and len(claimed["second"]) == 4
        assert not set(claimed["first"]) & set(claimed["second"])
        assert_supports_consistent(store)
    finally:
        store.dispose()
