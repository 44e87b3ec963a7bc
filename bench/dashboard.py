"""Does the staff dashboard hold up the chat? A resident's reply during a dashboard load.

The store holds many votes (500,000 by default) from residents on several platforms. A web
resident talks to the bot over the page's WebSocket while nothing else happens (the idle
reply), then again just after a staff member asked for the dashboard (the loaded reply).
Both are measured on the same server, in the same run; the ratio loaded ÷ idle shows how
long a dashboard load holds the chat up. With the queries on the event loop the reply waits
for the whole dashboard; off the loop it does not.

Usage:  python -m bench.dashboard [--votes 500000] [--rounds 10] [--database-url URL]
(from the project folder: the seeding is shared with the tests, tests/helpers.py)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.web.server import create_app
from dialogs.content import load_content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from storage import moderation, stats
from storage.migrate import upgrade
from storage.models import Role
from storage.store import Store
from tests.helpers import seed_many_votes

ROOT = Path(__file__).resolve().parent.parent
CONTENT = load_content(ROOT / "content" / "aalen-heidenheim.yaml")


async def reply_time(socket: Any, text: str) -> float:
    """Seconds from sending `text` to the bot's reply on the WebSocket (the reply is confirmed)."""
    started = time.perf_counter()
    await socket.send_json({"type": "text", "text": text})
    frame = await socket.receive_json(timeout=60)
    took = time.perf_counter() - started
    if "receipt" in frame:
        await socket.send_json({"type": "received", "receipt": frame["receipt"]})
    return took


class Server:
    """The bot's web server on a loop of its own, in a thread: the client is somebody else."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.port = 0
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(60)
        return f"http://127.0.0.1:{self.port}"

    async def _start(self) -> None:
        self.runner = web.AppRunner(create_app(self.engine))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(60)


async def measure(base: str, cookie: str, rounds: int) -> dict[str, float]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await (await http.get(base + "/")).read()
        socket = await http.ws_connect(base + "/ws", headers={"Origin": base})
        await socket.receive_json(timeout=60)
        for text in ("Deutsch", "Aalen"):
            await reply_time(socket, text)
        headers = {"Cookie": f"mitmach_dashboard={cookie}"}
        dashboard_times: list[float] = []

        async def dashboard() -> None:
            started = time.perf_counter()
            async with aiohttp.ClientSession() as staff_http:
                response = await staff_http.get(base + "/dashboard", headers=headers)
                assert response.status == 200, response.status
                await response.read()
            dashboard_times.append(time.perf_counter() - started)

        await dashboard()  # warm the caches once
        dashboard_times.clear()
        idle = [await reply_time(socket, "/menu") for _ in range(rounds)]
        loaded = []
        for _ in range(rounds):
            load = asyncio.create_task(dashboard())
            await asyncio.sleep(0.02)  # the server has begun the dashboard
            loaded.append(await reply_time(socket, "/menu"))
            await load
        await socket.close()
    return {
        "idle": statistics.median(idle),
        "loaded": statistics.median(loaded),
        "dashboard": statistics.median(dashboard_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--votes", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        upgrade(url)
        store = Store(url)
        try:
            started = time.perf_counter()
            seed_many_votes(store, [f.id for f in CONTENT.handlungsfelder], args.votes)
            print(f"seeded {args.votes:,} votes in {time.perf_counter() - started:.1f} s ({store.dialect})")
            staff = ("bench", "staff")
            now = store.now()
            store.run(lambda tx: moderation.grant(tx, *staff, Role.STAFF, "all", "bench", now))
            cookie = store.run(lambda tx: stats.new_dashboard_token(tx, "session", *staff, now))
            engine = Engine(CONTENT, Languages(CONTENT.languages), store)
            try:
                with Server(engine) as base:
                    result = asyncio.run(measure(base, cookie, args.rounds))
            finally:
                engine.close()
        finally:
            store.dispose()
    print(f"dashboard load:                 {result['dashboard'] * 1000:8.1f} ms (median)")
    print(f"reply, idle:                    {result['idle'] * 1000:8.1f} ms (median)")
    print(f"reply during a dashboard load:  {result['loaded'] * 1000:8.1f} ms (median)")
    print(f"ratio loaded / idle:            {result['loaded'] / result['idle']:8.2f}")


if __name__ == "__main__":
    main()
