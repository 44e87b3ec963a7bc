"""Operating `python -m bot run`: Prometheus metrics on their own listener, JSON logs without personal data."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from pathlib import Path

import aiohttp

from bot.metrics import Metrics, start_listener
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity
from storage import outbox
from storage.models import OutboxStatus
from storage.store import Store
from tests.chat import Chat
from tests.cli import start_run
from tests.fake_telegram import FakeTelegram
from tests.test_journey import _idea_number, submit_idea
from tests.test_outbox_store import add_residents, new_broadcast
from tests.test_run import free_port

SECRET = "webhook-secret-for-tests-only"


def _samples(text: str) -> dict[str, float]:
    """`name{labels} value` lines of the Prometheus text format."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _sep, value = line.rpartition(" ")
            found[name] = float(value)
    return found


async def _wait_for(condition: object, seconds: float = 30) -> None:
    for _ in range(int(seconds / 0.02)):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the bot did not answer in time")


async def test_metrics_on_their_own_loopback_listener_and_json_logs_without_ids(tmp_path: Path) -> None:
    telegram = FakeTelegram(token="123456:metrics-token", per_chat_rate=20, overall_rate=200)
    await telegram.start()
    port, metrics_port = free_port(), free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3",
        "WEB_PORT": str(port),
        "TELEGRAM_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "METRICS_PORT": str(metrics_port),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    process, _line = await start_run(env)
    try:
        update = telegram.message_update(98765432, "/start")
        assert await telegram.post_to_webhook(update, SECRET) == 200
        await _wait_for(lambda: "98765432" in telegram.chats)
        assert await telegram.post_to_webhook(update, SECRET) == 200  # Telegram delivers it again
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 404, "metrics are not served to the public web port"
            async with session.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert response.status == 200
                figures = _samples(await response.text())
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), 30)
        await telegram.stop()
    assert process.returncode == 0

    assert figures['mitmach_events_total{outcome="replied",platform="telegram"}'] == 1
    assert figures['mitmach_events_total{outcome="silent",platform="telegram"}'] == 1, "the redelivered update"
    assert figures['mitmach_event_handling_seconds_count{platform="telegram"}'] == 2
    assert figures['mitmach_replies_total{platform="telegram",result="sent"}'] == 1
    assert figures["mitmach_submissions_total"] == 0
    assert figures["mitmach_store_up"] == 1

    lines = [line for line in err.decode().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    duplicate = [e["message"] for e in entries if e["message"].startswith("duplicate event skipped")]
    assert duplicate and re.fullmatch(r"duplicate event skipped: telegram #[0-9a-f]{12}", duplicate[0]), duplicate
    assert "98765432" not in err.decode()
    assert "metrics-token" not in err.decode()


async def test_submissions_decisions_and_kept_replies_are_read_from_the_store(
    store_url: str, content: Content, languages: Languages
) -> None:
    store = Store(store_url)
    engine = Engine(content, languages, store, admins=[Identity("test", "admin")])
    metrics = Metrics()
    metrics.watch_store(store)
    port = free_port()
    runner = await start_listener(metrics, "127.0.0.1", port)
    try:
        admin, erika = Chat(engine, "admin"), Chat(engine, "erika")
        await admin.onboard()
        await erika.onboard()
        await submit_idea(erika, "Trinkbrunnen am Marktplatz", "Im Sommer fehlt frisches Wasser in der Stadt.")
        await erika.says("/menu")
        await submit_idea(erika, "Mehr Bänke am Kocher", "Zum Ausruhen auf dem Weg entlang des Flusses.")
        second = _idea_number(erika)
        await admin.says(f"/approve {second}")
        await admin.says(f"/approve {second}")  # too late: already decided
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as response:
            figures = _samples(await response.text())
    finally:
        await runner.cleanup()
        engine.close()
        store.dispose()
    assert figures["mitmach_submissions_total"] == 2
    assert figures['mitmach_ideas{status="approved"}'] == 1
    assert figures['mitmach_ideas{status="pending"}'] == 1
    assert figures['mitmach_decisions_total{action="approve",outcome="done"}'] == 1
    assert figures['mitmach_decisions_total{action="approve",outcome="conflict"}'] == 1
    # sent to others, and no adapter took them: the admin's two notices of new ideas, erika's of her published idea
    assert figures['mitmach_pending_replies{platform="test"}'] == 3


async def test_a_broadcast_in_progress_shows_its_backlog_and_progress(store_url: str) -> None:
    store = Store(store_url)
    metrics = Metrics()
    metrics.watch_store(store)
    try:
        add_residents(store, "telegram", 5)
        add_residents(store, "web", 2, city="heidenheim")
        broadcast = new_broadcast(store)
        store.run(lambda tx: outbox.promote_due(tx, store.now()))
        claimed = store.run(lambda tx: outbox.claim(tx, "telegram", 2, store.now()))
        now = store.now()
        store.run(
            lambda tx: outbox.record(
                tx, [outbox.Result(c.id, c.resident_id, OutboxStatus.SENT, 1, now, now) for c in claimed], now
            )
        )
        figures = _samples(metrics.render().decode())
    finally:
        store.dispose()
    assert figures['mitmach_outbox_backlog{platform="telegram"}'] == 3
    assert figures['mitmach_outbox_backlog{platform="web"}'] == 2
    assert figures[f'mitmach_broadcast_recipients{{broadcast="{broadcast}",status="sent"}}'] == 2
    assert figures[f'mitmach_broadcast_recipients{{broadcast="{broadcast}",status="pending"}}'] == 5
