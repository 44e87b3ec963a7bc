"""The Telegram webhook path at saturation, with one and with two worker processes on PostgreSQL.

`python -m bot run --workers N` serves the webhook; the local Bot API server of the tests
(tests/fake_telegram.py, in this process) posts updates to it, signed with the webhook
secret, and records when each reply arrives. A fixed number of updates is kept on the way
at all times (closed loop): as soon as one is answered, the next is posted, each from one
of 5,000 residents in turn, so that the per-chat limit of one message a second never binds.
The residents ask for the main menu, help and the Handlungsfelder, as people do.

Measured for 1 and 2 workers in the same run, on the same fresh database schema:
- events per second (answered updates over the measuring window, after a warm-up);
- p50 and p99 of the time from posting an update to the reply reaching the Bot API server.
The baseline is the single worker: the figure that matters is the ratio 2 workers ÷ 1.

Usage:  PYTHONPATH=. python bench/workers.py [--in-flight 64] [--seconds 20] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.broadcast import free_port
from storage.migrate import upgrade
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
RESIDENTS = 5_000
TEXTS = ("/menu", "/help", "/menu", "/start")
WARM_UP = 3.0


def fresh_schema(base: str) -> str:
    import psycopg

    schema = f"bench_workers_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{base}?options=-csearch_path%3D{schema}"
    upgrade(url)
    return url


def drop_schema(base: str, url: str) -> None:
    import psycopg

    schema = url.rsplit("%3D", 1)[1]
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def start_bot(url: str, fake: FakeTelegram, workers: int, port: int, secret: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TELEGRAM_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.url,
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_RATE": "10000",
        "WEB_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--workers", str(workers), cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    for _ in range(workers):
        await process.stdout.readline()  # each worker: "Mitmach-Bot is running …"
    return process


async def stop(process: asyncio.subprocess.Process) -> None:
    process.send_signal(signal.SIGTERM)
    await process.wait()


async def drive(fake: FakeTelegram, webhook: str, secret: str, in_flight: int, seconds: float) -> dict[str, Any]:
    import aiohttp

    answered: dict[str, asyncio.Future[float]] = {}

    async def on_send(params: dict[str, Any]) -> None:
        waiting = answered.pop(str(params.get("chat_id")), None)
        if waiting is not None and not waiting.done():
            waiting.set_result(time.perf_counter())

    fake.on_send = on_send
    users = itertools.cycle(range(1, RESIDENTS + 1))
    texts = itertools.cycle(TEXTS)
    latencies: list[float] = []
    counted = 0
    started = time.perf_counter()
    window = (started + WARM_UP, started + WARM_UP + seconds)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}

    async with aiohttp.ClientSession() as session:

        async def resident_loop() -> None:
            nonlocal counted
            while time.perf_counter() < window[1]:
                user = next(users)
                chat = str(user)
                if chat in answered:
                    continue
                reply = answered[chat] = asyncio.get_running_loop().create_future()
                update = fake.message_update(user, next(texts))
                sent = time.perf_counter()
                async with session.post(webhook, json=update, headers=headers) as response:
                    if response.status != 200:
                        answered.pop(chat, None)
                        await asyncio.sleep(0.05)
                        continue
                try:
                    arrived = await asyncio.wait_for(reply, 30)
                except TimeoutError:
                    answered.pop(chat, None)
                    continue
                if window[0] <= sent and arrived <= window[1]:
                    counted += 1
                    latencies.append(arrived - sent)

        await asyncio.gather(*(resident_loop() for _ in range(in_flight)))
    latencies.sort()
    return {
        "events_per_second": round(counted / seconds, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else None,
        "answered": counted,
    }


async def measure(base: str, workers: int, in_flight: int, seconds: float) -> dict[str, Any]:
    url = fresh_schema(base)
    fake = FakeTelegram(per_chat_rate=1.0, overall_rate=100_000, keep_calls=False)
    await fake.start()
    port = free_port()
    secret = secrets.token_hex(16)
    bot = await start_bot(url, fake, workers, port, secret)
    try:
        figures = await drive(fake, f"http://127.0.0.1:{port}/telegram/webhook", secret, in_flight, seconds)
    finally:
        await stop(bot)
        await fake.stop()
        drop_schema(base, url)
    return {"workers": workers, **figures}


async def run(base: str, in_flight: int, seconds: float) -> dict[str, Any]:
    one = await measure(base, 1, in_flight, seconds)
    two = await measure(base, 2, in_flight, seconds)
    ratio = two["events_per_second"] / one["events_per_second"] if one["events_per_second"] else None
    return {"one": one, "two": two, "ratio_two_to_one": round(ratio, 2) if ratio else None, "cores": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-flight", type=int, default=64, help="updates on the way at any moment")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the measuring window")
    parser.add_argument("--database", default=POSTGRES, help="a PostgreSQL database to make a schema in")
    arguments = parser.parse_args()
    result = asyncio.run(run(arguments.database, arguments.in_flight, arguments.seconds))
    print(json.dumps(result, indent=2))
    one, two = result["one"], result["two"]
    print(
        f"\n1 worker: {one['events_per_second']} events/s (p50 {one['p50_ms']} ms, p99 {one['p99_ms']} ms); "
        f"2 workers: {two['events_per_second']} events/s (p50 {two['p50_ms']} ms, p99 {two['p99_ms']} ms); "
        f"ratio {result['ratio_two_to_one']} on {result['cores']} cores"
    )


if __name__ == "__main__":
    main()
