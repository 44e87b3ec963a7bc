"""Wake-ups between workers over PostgreSQL's LISTEN/NOTIFY: delivered on commit only, per schema."""

from __future__ import annotations

import asyncio

import pytest

from storage import wakeups
from storage.store import Store, Tx


async def heard(url: str, topic: str) -> tuple[wakeups.Listener, list[str | None]]:
    woken: list[str | None] = []
    listener = wakeups.Listener(url, topic, woken.append, retry=0.1)
    listener.start()
    await asyncio.wait_for(listener.listening.wait(), 10)
    return listener, woken


async def until(woken: list[str | None], payload: str) -> None:
    for _ in range(200):
        if payload in woken:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{payload!r} never arrived; heard {woken}")


async def test_a_committed_notification_wakes_every_listener_once(postgres_url: str) -> None:
    store = Store(postgres_url)
    channel = wakeups.channel_for(postgres_url, "web")
    first, first_woken = await heard(postgres_url, "web")
    second, second_woken = await heard(postgres_url, "web")
    try:
        assert first_woken == [None], "after connecting, a listener looks at everything once"

        def rolled_back(tx: Tx) -> None:
            wakeups.notify(tx, channel, "never")
            raise RuntimeError("the transaction fails")

        with pytest.raises(RuntimeError):
            store.run(rolled_back)
        store.run(lambda tx: wakeups.notify(tx, channel, "resident-1"))
        await until(first_woken, "resident-1")
        await until(second_woken, "resident-1")
        assert "never" not in first_woken and first_woken.count("resident-1") == 1
    finally:
        await first.stop()
        await second.stop()
        store.dispose()


async def test_another_schema_on_the_same_server_is_not_woken(postgres_url: str) -> None:
    other_url = postgres_url.replace("search_path%3D", "search_path%3Dother_")
    listener, woken = await heard(other_url, "web")
    store = Store(postgres_url)
    try:
        store.run(lambda tx: wakeups.notify(tx, wakeups.channel_for(postgres_url, "web"), "resident-2"))
        own, own_woken = await heard(postgres_url, "web")
        store.run(lambda tx: wakeups.notify(tx, wakeups.channel_for(postgres_url, "web"), "resident-3"))
        await until(own_woken, "resident-3")
        await own.stop()
        assert woken == [None]
    finally:
        await listener.stop()
        store.dispose()


def test_sqlite_has_nothing_to_wake(sqlite_url: str) -> None:
    listener = wakeups.Listener(sqlite_url, "web", lambda payload: None)
    assert not listener.enabled
    store = Store(sqlite_url)
    try:
        store.run(lambda tx: wakeups.notify(tx, wakeups.channel_for(sqlite_url, "web"), "x"))
    finally:
        store.dispose()
