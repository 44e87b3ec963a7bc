"""A broadcast to 20 Matrix residents under Synapse's default rate limits, after a restart.

Synapse (tests/synapse_server.py, `.synapse-venv`) runs with its own default limits for
messages (0.2 a second after a burst of 10) and joins. 20 residents each open a direct
room with the bot and subscribe to Aalen's news; the bot is restarted (so it knows no room
before its first sync), waits until Synapse's message bucket is full again, and sends one
broadcast with MATRIX_RATE (default 2 a second). Measured: the time from the broadcast's
start to its last delivery, the achieved rate, and the rate Synapse's limit allows.

Usage:  PYTHONPATH=. python bench/matrix_broadcast.py [--residents 20] [--rate 2]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from pathlib import Path

from nio import AsyncClient, RoomCreateResponse

from bot.adapters.matrix.adapter import MatrixAdapter
from bot.adapters.matrix.settings import MatrixSettings
from bot.adapters.protocol import context_for
from bot.app import load_checked_content
from bot.config import Settings
from dialogs.engine import Engine
from dialogs.i18n import Languages
from storage import outbox, subscriptions
from storage.migrate import upgrade
from storage.models import BroadcastStatus
from storage.store import Store
from storage.subscriptions import Audience
from tests.helpers import start_broadcasts
from tests.synapse_server import Synapse

BURST_REFILL = 10 / 0.2
"""Seconds until Synapse's default message bucket (10 at 0.2 a second) is full again."""


async def main(residents: int, rate: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="matrix-bench-"))
    synapse = Synapse(work / "synapse", default_limits=True)
    synapse.start()
    try:
        url = f"sqlite:///{work}/bot.sqlite3"
        upgrade(url)
        store = Store(url)
        content = load_checked_content(Settings())
        engine = Engine(content, Languages(content.languages), store)
        bot_user = synapse.register("benchbot", "bot-password")

        def adapter() -> MatrixAdapter:
            settings = MatrixSettings(
                homeserver=synapse.url, user=bot_user, password="bot-password", store_path=work / "keys", rate=rate
            )
            return MatrixAdapter(context_for(engine), settings)

        bot = adapter()
        await bot.start()
        clients = []
        for n in range(residents):
            user = synapse.register(f"nachbar{n}", "pw")
            client = AsyncClient(synapse.url, user)
            await client.login("pw")
            created = await client.room_create(is_direct=True, invite=[bot_user])
            assert isinstance(created, RoomCreateResponse)
            clients.append((client, user, created.room_id))
        began = time.monotonic()
        while not all(room in bot.client.rooms for _c, _u, room in clients):
            await asyncio.sleep(0.5)
        print(f"{residents} joins under the default join limit: {time.monotonic() - began:.0f} s")
        now = store.now()
        for _client, user, room in clients:

            def subscribe(tx, user: str = user, room: str = room) -> None:  # type: ignore[no-untyped-def]
                record = tx.load_or_create_resident("matrix", user, room, "menu", now)
                record.city, record.language = "aalen", "de"
                tx.save_resident(record, now)
                subscriptions.subscribe(tx, record.id, subscriptions.CITY, now)

            store.run(subscribe)
        await bot.stop()
        print(f"restarted; waiting {BURST_REFILL:.0f} s for Synapse's message bucket to fill")
        await asyncio.sleep(BURST_REFILL)
        bot = adapter()
        await bot.start()
        service = await start_broadcasts(engine, [bot.transport()])
        author = clients[0]
        started = time.monotonic()
        broadcast_id = store.run(
            lambda tx: outbox.create_broadcast(
                tx,
                author=("matrix", author[1], author[2], "de"),
                text="Neuigkeiten aus Aalen",
                audience=Audience(city="aalen"),
                idea_id=None,
                button=None,
                send_at=store.now(),
                now=store.now(),
            )
        )
        while True:
            record = store.run(lambda tx: outbox.get(tx, broadcast_id))
            figures = store.run(lambda tx: outbox.figures(tx, broadcast_id))
            if record is not None and record.status == BroadcastStatus.DONE.value:
                break
            await asyncio.sleep(0.2)
        duration = time.monotonic() - started
        print(f"figures: {figures}")
        print(
            f"broadcast to {residents} Matrix residents: {duration:.1f} s, {residents / duration:.2f} messages/s; "
            f"MATRIX_RATE {rate:g}/s alone would take {residents / rate:.1f} s; Synapse's default limit allows "
            f"10 at once, then 0.2/s: {max(0.0, (residents - 10) / 0.2):.0f} s"
        )
        await service.stop()
        await bot.stop()
        for client, _user, _room in clients:
            await client.close()
        engine.close()
        store.dispose()
    finally:
        synapse.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--rate", type=float, default=2.0)
    args = parser.parse_args()
    asyncio.run(main(args.residents, args.rate))
