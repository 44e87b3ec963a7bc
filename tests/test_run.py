"""`python -m bot run` with no platform configured: SQLite and the web chat on localhost."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import aiohttp

from tests.cli import run_cli, start_run
from tests.fake_telegram import FakeTelegram
from tests.texts import WELCOME, de


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_serves_the_web_chat_and_telegram_and_stops_cleanly(tmp_path: Path) -> None:
    """The README's first command: web chat on localhost, Telegram beside it once a token is set."""
    telegram = FakeTelegram(token="123456:secret-token-never-logged", per_chat_rate=20, overall_rate=200)
    await telegram.start()
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/fresh/bot.sqlite3",
        "WEB_PORT": str(port),
        "TELEGRAM_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
    }
    process, line = await start_run(env)
    try:
        assert f"http://127.0.0.1:{port}/" in line, line
        assert "Telegram @MitmachTestBot" in line
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert await response.json() == {"status": "ok"}
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                assert "Smart Cities Aalen und Heidenheim" in await response.text()
        assert (tmp_path / "fresh" / "bot.sqlite3").exists(), "the database is created and migrated"
        await telegram.push(telegram.message_update(12345, "/start"))
        for _ in range(500):
            if "12345" in telegram.chats:
                break
            await asyncio.sleep(0.02)
        assert de(WELCOME) in telegram.last_message(12345).text
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        await telegram.stop()
    assert process.returncode == 0
    assert "secret-token-never-logged" not in (out + err).decode(), "the token never appears in logs"


def test_port_in_use_is_explained(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("run", env={"DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3", "WEB_PORT": str(port)})
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "WEB_PORT" in result.stderr
