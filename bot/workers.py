"""`python -m bot run --workers N`: N processes of the bot on one PostgreSQL and one web port.

Each worker is an ordinary `python -m bot run` (told it is one of N by BOT_WORKERS). They
listen on the same port (SO_REUSEPORT: the kernel spreads the connections), serve the web
chat and the webhooks, and share everything else through the store: one of them sends each
platform's broadcasts and does the housekeeping (storage/leadership.py), one runs Matrix's
sync loop (bot/election.py), and a notice kept by one reaches a page open in another
(storage/wakeups.py). This process only starts them, restarts one that dies, and passes
SIGTERM / SIGINT on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping
from typing import Any

from bot.config import Settings
from storage.database import normalise_url
from storage.migrate import upgrade

log = logging.getLogger(__name__)

STOP_TIMEOUT = 30.0
"""Seconds a worker has to finish after SIGTERM before it is killed."""
MAX_PAUSE = 30.0


def refusal(settings: Settings, platforms: Mapping[str, Any], workers: int) -> str | None:
    """Why these settings cannot run `workers` processes, or None."""
    if workers < 2:
        return None
    if not normalise_url(settings.database_url).startswith("postgresql"):
        return (
            "several workers need PostgreSQL: set DATABASE_URL=postgresql://… "
            "(SQLite is for a single process; run without --workers)"
        )
    telegram = platforms.get("telegram")
    if telegram is not None and telegram.token is not None and not (telegram.webhook_secret and settings.public_url):
        return (
            "Telegram's long polling cannot be shared by several workers: set TELEGRAM_WEBHOOK_SECRET and "
            "PUBLIC_URL so that Telegram posts updates to the web server, or run without --workers"
        )
    return None


async def run_workers(settings: Settings, workers: int, argv: list[str]) -> int:
    """Start the workers, restart any that dies, and stop them all on SIGTERM or SIGINT."""
    if settings.db_auto_upgrade:
        upgrade(settings.database_url)  # once, here, not by every worker at the same moment
    env = {**os.environ, "BOT_WORKERS": str(workers), "DB_AUTO_UPGRADE": "false"}
    command = [sys.executable, "-m", "bot", "run", *argv]
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    print(f"Mitmach-Bot: starting {workers} workers", file=sys.stderr, flush=True)
    supervised = [asyncio.create_task(_keep_running(number, command, env, stopping)) for number in range(workers)]
    await asyncio.gather(*supervised)
    return 0


async def _keep_running(number: int, command: list[str], env: dict[str, str], stopping: asyncio.Event) -> None:
    pause = 1.0
    while not stopping.is_set():
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(*command, env=env, stdin=asyncio.subprocess.DEVNULL)
        ended = asyncio.ensure_future(process.wait())
        stop = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({ended, stop}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.is_set():
            await _stop(process, ended)
            return
        stop.cancel()
        log.error("worker %d ended with exit code %s; starting it again in %.0f s", number, process.returncode, pause)
        if time.monotonic() - started > 60:  # it ran well for a while: a fresh failure
            pause = 1.0
        try:
            await asyncio.wait_for(stopping.wait(), pause)
        except TimeoutError:
            pause = min(pause * 2, MAX_PAUSE)


async def _stop(process: asyncio.subprocess.Process, ended: asyncio.Future[Any]) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.shield(ended), STOP_TIMEOUT)
    except TimeoutError:
        log.error("a worker did not stop within %.0f s; killed", STOP_TIMEOUT)
        process.kill()
        await ended
