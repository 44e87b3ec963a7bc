"""A broadcast to 100,000 Telegram subscribers, sent by `python -m bot run` to the local Bot API server.

The server (tests/fake_telegram.py, in a process of its own) accepts `--rate` messages a
second and answers 429 above that, like Telegram. The bot runs as an operator would
run it, with TELEGRAM_RATE set `--margin` below the server's limit. Measured:

- achieved rate ÷ configured rate: messages the server accepted, over the time from its
  first to its last accepted message, divided by the server's `--rate` (target ≥ 0.95);
- 429 answers (target 0);
- the bot's peak memory (VmHWM from /proc) and, as a baseline measured in the same run,
  the peak memory of the same bot idling with no broadcast;
- the estimated time for a broadcast to all 120,000 residents of both cities at
  Telegram's real bulk limit (30 messages a second), from the achieved ratio.

Usage:  python bench/broadcast.py [--recipients 100000] [--rate 1000] [--margin 0.03]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from storage import outbox, polls
from storage.migrate import upgrade
from storage.models import BroadcastStatus, conversation_table, resident_table, subscription_table
from storage.store import Store
from storage.subscriptions import CITY, Audience

ROOT = Path(__file__).resolve().parent.parent
REAL_TELEGRAM_RATE = 30
BOTH_CITIES = 120_000
AUTHOR = "1"
"""The staff member's chat: their progress message is not part of the broadcast's figures."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(url: str, recipients: int) -> Store:
    upgrade(url)
    store = Store(url)
    now = store.now()
    residents = [
        {
            "id": n + 1,
            "platform": "telegram",
            "user_id": str(10_000 + n),
            "chat_id": str(10_000 + n),
            "language": "de" if n % 5 else "en",
            "city": "aalen" if n % 2 else "heidenheim",
            "created_at": now,
        }
        for n in range(recipients)
    ]
    with store.engine.begin() as connection:
        connection.execute(insert(resident_table), residents)
        connection.execute(
            insert(conversation_table),
            [
                {"resident_id": r["id"], "state": "menu", "context": "{}", "version": 0, "updated_at": now}
                for r in residents
            ],
        )
        connection.execute(
            insert(subscription_table), [{"resident_id": r["id"], "topic": CITY, "created_at": now} for r in residents]
        )
    return store


async def read_json_line(stream: asyncio.StreamReader) -> dict[str, Any]:
    while True:
        line = await stream.readline()
        if not line:
            raise RuntimeError("the process ended without an answer")
        if line.startswith(b"{"):
            return dict(json.loads(line))


def peak_memory(pid: int) -> int:
    """VmHWM: the most resident memory the process ever had, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


async def start_bot(
    url: str, server: dict[str, Any], rate: float, concurrency: int, data: Path
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BROADCAST_CONCURRENCY": str(concurrency),
        "DATABASE_URL": url,
        "TELEGRAM_TOKEN": server["token"],
        "TELEGRAM_API_URL": server["url"],
        "TELEGRAM_RATE": str(rate),
        "WEB_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
        "MATRIX_STORE_PATH": str(data / "matrix"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    await process.stdout.readline()  # "Mitmach-Bot is running …"
    return process


async def stop(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    await process.wait()


async def idle_memory(url: str, server: dict[str, Any], rate: float, concurrency: int, data: Path) -> int:
    """The same bot, started and left idle for a moment: the baseline for its memory."""
    bot = await start_bot(url, server, rate, concurrency, data)
    await asyncio.sleep(3)
    memory = peak_memory(bot.pid)
    await stop(bot)
    return memory


def create(store: Store, poll: bool) -> int:
    """The broadcast to measure: a message, or with `poll` a quick poll (a broadcast with answer buttons)."""
    now = store.now()
    if poll:
        poll_id = store.run(
            lambda tx: polls.create_poll(
                tx,
                author=("telegram", AUTHOR, AUTHOR, "de"),
                question="Welches Projekt sollen Aalen und Heidenheim zuerst angehen?",
                options=["Stadtpark", "Radwege", "Busanzeigen", "Freies WLAN"],
                multiple=False,
                audience=Audience(),
                in_menu=False,
                show_interim=True,
                tell_answerers=False,
                opens_at=now,
                closes_at=now + timedelta(days=7),
                now=now,
            )
        )
        found = store.run(lambda tx: polls.get(tx, poll_id))
        assert found is not None and found.broadcast_id is not None
        return found.broadcast_id
    return store.run(
        lambda tx: outbox.create_broadcast(
            tx,
            author=("telegram", AUTHOR, AUTHOR, "de"),
            text="Ab Montag fahren die Stadtbusse in Aalen und Heidenheim alle zehn Minuten.",
            audience=Audience(),
            idea_id=None,
            button=None,
            send_at=now,
            now=now,
        )
    )


async def run(recipients: int, rate: float, margin: float, concurrency: int, poll: bool = False) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    url = f"sqlite:///{data / 'bot.sqlite3'}"
    started = time.perf_counter()
    store = seed(url, recipients)
    seeding = time.perf_counter() - started
    fake = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fake_telegram", "--rate", str(rate), "--ignore-chat", AUTHOR, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert fake.stdout is not None
    server = await read_json_line(fake.stdout)
    bot_rate = rate * (1 - margin)
    baseline_memory = await idle_memory(url, server, bot_rate, concurrency, data)

    broadcast = create(store, poll)
    bot = await start_bot(url, server, bot_rate, concurrency, data)
    began = time.perf_counter()
    peak = 0
    while True:
        await asyncio.sleep(1)
        peak = max(peak, peak_memory(bot.pid))
        found = store.run(lambda tx: outbox.get(tx, broadcast))
        if found is not None and found.status == BroadcastStatus.DONE.value:
            break
    wall = time.perf_counter() - began
    figures = store.run(lambda tx: outbox.figures(tx, broadcast))
    await stop(bot)
    fake.send_signal(signal.SIGTERM)
    served = await read_json_line(fake.stdout)
    await fake.wait()
    store.dispose()

    sending = served["last"] - served["first"]
    achieved = (served["accepted"] - 1) / sending
    ratio = achieved / rate
    real_seconds = BOTH_CITIES / (REAL_TELEGRAM_RATE * ratio)
    return {
        "kind": "poll" if poll else "message",
        "recipients": recipients,
        "delivered": figures.sent,
        "configured_rate": rate,
        "bot_rate": round(bot_rate, 1),
        "concurrency": concurrency,
        "achieved_rate": round(achieved, 1),
        "ratio": round(ratio, 3),
        "rate_limited_429": served["rate_limited"],
        "peak_memory_mb": round(peak / 1024, 1),
        "idle_memory_mb": round(baseline_memory / 1024, 1),
        "memory_ratio": round(peak / baseline_memory, 2),
        "seconds_sending": round(sending, 1),
        "seconds_from_start_to_done": round(wall, 1),
        "seconds_seeding": round(seeding, 1),
        "both_cities_at_30_per_s_minutes": round(real_seconds / 60, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=1000.0, help="what the local Bot API server accepts a second")
    parser.add_argument("--margin", type=float, default=0.03, help="TELEGRAM_RATE this share below --rate")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="BROADCAST_CONCURRENCY: sends on their way at once (rate × latency)"
    )
    parser.add_argument("--poll", action="store_true", help="send a quick poll (answer buttons) instead of a message")
    args = parser.parse_args()
    result = asyncio.run(run(args.recipients, args.rate, args.margin, args.concurrency, args.poll))
    print(json.dumps(result, indent=2))
    print(
        f"\n{result['delivered']:,} of {result['recipients']:,} delivered; achieved {result['achieved_rate']}/s of "
        f"{result['configured_rate']:.0f}/s configured = {result['ratio']} (target ≥ 0.95); "
        f"429 answers: {result['rate_limited_429']} (target 0); peak memory {result['peak_memory_mb']} MB "
        f"({result['memory_ratio']}× the idle bot); all {BOTH_CITIES:,} residents at Telegram's "
        f"{REAL_TELEGRAM_RATE}/s: about {result['both_cities_at_30_per_s_minutes']} minutes."
    )


if __name__ == "__main__":
    main()
