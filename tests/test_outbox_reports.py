"""A platform's later report on a broadcast message (WhatsApp's failed status) changes the figures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage import outbox
from storage.models import BroadcastStatus, OutboxStatus
from storage.store import Store
from tests.test_outbox_store import add_residents, new_broadcast


@pytest.fixture
def any_store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    yield store
    store.dispose()


def sent(store: Store, platform: str) -> tuple[int, list[outbox.Claimed]]:
    broadcast = new_broadcast(store)
    store.run(lambda tx: outbox.promote_due(tx, store.now()))
    rows = store.run(lambda tx: outbox.claim(tx, platform, 10, store.now()))
    now = store.now()
    results = [
        outbox.Result(r.id, r.resident_id, OutboxStatus.SENT, 1, now, now, message_id=f"wamid.{r.id}") for r in rows
    ]
    store.run(lambda tx: outbox.record(tx, results, now))
    return broadcast, rows


def test_reports_of_failure_count_as_unreachable_failed_or_outside_the_window(any_store: Store) -> None:
    store = any_store
    add_residents(store, "whatsapp", 4)
    broadcast, rows = sent(store, "whatsapp")
    now = store.now()
    for row, status in zip(rows, (OutboxStatus.UNREACHABLE, OutboxStatus.FAILED, OutboxStatus.NO_WINDOW), strict=False):
        assert store.run(lambda tx, r=row, s=status: outbox.not_delivered(tx, "whatsapp", f"wamid.{r.id}", s, now))
    assert not store.run(lambda tx: outbox.not_delivered(tx, "whatsapp", "wamid.unknown", OutboxStatus.FAILED, now))
    again = f"wamid.{rows[0].id}"
    assert not store.run(lambda tx: outbox.not_delivered(tx, "whatsapp", again, OutboxStatus.FAILED, now)), "once"
    figures = store.run(lambda tx: outbox.figures(tx, broadcast))
    assert (figures.sent, figures.unreachable, figures.failed, figures.no_window, figures.waiting) == (1, 1, 1, 1, 0)
    first = store.run(lambda tx: tx.load_resident("whatsapp", "u0"))
    third = store.run(lambda tx: tx.load_resident("whatsapp", "u2"))
    assert first is not None and first.unreachable_since is not None
    assert third is not None and third.unreachable_since is None, "outside the window is not unreachable"


def test_a_message_to_send_again_reopens_its_finished_broadcast(any_store: Store) -> None:
    store = any_store
    add_residents(store, "whatsapp", 2)
    broadcast, rows = sent(store, "whatsapp")
    assert store.run(lambda tx: outbox.finish_completed(tx, store.now())) == [broadcast]
    store.run(lambda tx: outbox.set_progress(tx, broadcast, "wamid.progress", True))
    now = store.now()
    assert store.run(lambda tx: outbox.send_again(tx, "whatsapp", f"wamid.{rows[1].id}", now))
    record = store.run(lambda tx: outbox.get(tx, broadcast))
    assert record is not None and record.status == BroadcastStatus.SENDING.value and not record.progress_final
    claimed = store.run(lambda tx: outbox.claim(tx, "whatsapp", 10, store.now()))
    assert [row.id for row in claimed] == [rows[1].id]
