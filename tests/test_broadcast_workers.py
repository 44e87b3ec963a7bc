"""Broadcasts sent by real `python -m bot run` processes against the local Bot API server.

A sending process killed with SIGKILL and started again loses nobody and repeats only
the messages that were on the wire; two workers on PostgreSQL share one broadcast and
stay within the global limit, the second taking over when the first dies.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator

import pytest

from storage import outbox
from storage.models import BroadcastStatus
from storage.store import Store
from tests.cli import spawn_run
from tests.fake_telegram import FakeTelegram
from tests.helpers import assert_supports_consistent
from tests.test_outbox_store import add_residents, new_broadcast
from tests.test_run import free_port

CONCURRENCY = 8
RATE = 100
"""What the local Bot API server accepts a second; the workers are set 5 % below, as an operator would."""


class Worker:
    """One `python -m bot run`, its output read as it comes so that it never blocks on a full pipe."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._readers = [asyncio.create_task(self._read(s)) for s in (process.stdout, process.stderr) if s]

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode(errors="replace").rstrip())

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
        await self.process.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)


async def start_worker(database_url: str, fake: FakeTelegram) -> Worker:
    env = {
        "DATABASE_URL": database_url,
        "TELEGRAM_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.url,
        "TELEGRAM_RATE": str(RATE * 0.95),
        "BROADCAST_CONCURRENCY": str(CONCURRENCY),
        "WEB_PORT": str(free_port()),
        "LOG_LEVEL": "INFO",
    }
    return Worker(await spawn_run(env))


async def until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        await asyncio.sleep(0.05)


def delivered(fake: FakeTelegram, chats: list[str]) -> list[int]:
    return [len(fake.chats.get(chat, [])) for chat in chats]


def busiest_second(times: list[float]) -> int:
    """The most sends in any window of one second."""
    most, start = 0, 0
    ordered = sorted(times)
    for end, at in enumerate(ordered):
        while at - ordered[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(per_chat_rate=1, overall_rate=RATE)
    await server.start()
    yield server
    await server.stop()


def finished(store: Store, broadcast_id: int) -> bool:
    found = store.run(lambda tx: outbox.get(tx, broadcast_id))
    return found is not None and found.status == BroadcastStatus.DONE.value


def assert_once_each(fake: FakeTelegram, chats: list[str]) -> None:
    counts = delivered(fake, chats)
    assert min(counts) >= 1, f"{counts.count(0)} recipients got nothing"
    assert max(counts) <= 2
    twice = counts.count(2)
    assert twice <= CONCURRENCY, f"{twice} got it twice; only the {CONCURRENCY} in flight may"


async def test_a_killed_sender_resumes_without_skipping_anyone(sqlite_url: str, fake: FakeTelegram) -> None:
    store = Store(sqlite_url)
    add_residents(store, "telegram", 400)
    broadcast = new_broadcast(store)
    chats = [str(1000 + n) for n in range(400)]
    first = await start_worker(sqlite_url, fake)
    try:
        await until(lambda: sum(delivered(fake, chats)) >= 120, 60, "the first 120 messages")
        first.kill()
        await first.process.wait()
        sent_before = sum(1 for count in delivered(fake, chats) if count)
        assert sent_before < 400, "killed mid-broadcast"
        second = await start_worker(sqlite_url, fake)
        try:
            await until(lambda: finished(store, broadcast), 60, "the broadcast to finish after the restart")
        finally:
            await second.stop()
        assert second.said("unfinished recipients from an earlier sender are due again")
    finally:
        await first.stop()
        store.dispose()
    assert_once_each(fake, chats)
    figures = Store(sqlite_url).run(lambda tx: outbox.figures(tx, broadcast))
    assert (figures.total, figures.sent, figures.waiting) == (400, 400, 0)
    assert fake.rate_limited == 0


async def test_two_workers_on_postgresql_share_a_broadcast_within_the_limit(
    postgres_url: str, fake: FakeTelegram
) -> None:
    store = Store(postgres_url)
    add_residents(store, "telegram", 500)
    broadcast = new_broadcast(store)
    chats = [str(1000 + n) for n in range(500)]
    workers = [await start_worker(postgres_url, fake) for _ in range(2)]
    try:
        leading = "telegram: this process sends broadcasts now"
        await until(lambda: any(w.said(leading) for w in workers), 60, "a sender to be elected")
        await until(lambda: sum(delivered(fake, chats)) >= 150, 60, "the first 150 messages")
        leader = next(w for w in workers if w.said(leading))
        standby = next(w for w in workers if w is not leader)
        assert not standby.said(leading), "one sender per platform at a time"
        leader.kill()
        await leader.process.wait()
        await until(lambda: standby.said(leading), 30, "the standby to take over")
        await until(lambda: finished(store, broadcast), 60, "the broadcast to finish")
        assert_supports_consistent(store)
    finally:
        for worker in workers:
            await worker.stop()
        store.dispose()
    assert_once_each(fake, chats)
    assert fake.rate_limited == 0, "the Bot API never had to refuse a message"
    assert busiest_second(fake.attempt_times) <= RATE, "the workers together never asked for more than the limit"


def test_busiest_second_counts_a_sliding_window() -> None:
    assert busiest_second([0.0, 0.5, 0.99, 1.0, 1.2, 3.0]) == 4
    assert busiest_second([]) == 0
