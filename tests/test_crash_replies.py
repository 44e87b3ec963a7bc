"""A reply the store promised reaches the resident once, even when the bot dies before sending it.

Each test runs `python -m bot run` as an operator does, kills it with SIGKILL after the
event is stored but before its reply went out, starts it again, and counts what the
resident received.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.cli import start_run
from tests.fake_telegram import FakeTelegram
from tests.test_run import free_port
from tests.test_telegram import plain
from tests.texts import CITY_QUESTION, de


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def stop(process: asyncio.subprocess.Process, how: signal.Signals = signal.SIGTERM) -> None:
    process.send_signal(how)
    await asyncio.wait_for(process.communicate(), 30)


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_telegram_reply_is_sent_once_after_a_kill(tmp_path: Path, mode: str) -> None:
    telegram = FakeTelegram(per_chat_rate=20, overall_rate=200)
    await telegram.start()
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3",
        "WEB_PORT": str(port),
        "TELEGRAM_TOKEN": telegram.token,
        "TELEGRAM_API_URL": telegram.url,
    }
    if mode == "webhook":
        env |= {"PUBLIC_URL": f"http://127.0.0.1:{port}", "TELEGRAM_WEBHOOK_SECRET": "webhook-secret-for-tests-only"}
    answers = lambda: [m for m in telegram.chats.get("7001", []) if "Sprache" in plain(m.text)]  # noqa: E731
    try:
        telegram.hold_texts_with = "Sprache"
        process, _line = await start_run(env)
        push = asyncio.create_task(telegram.push(telegram.message_update(7001, "/start")))
        await wait_for(lambda: bool(telegram.held), "the bot stored the event and began to answer")
        await stop(process, signal.SIGKILL)
        await asyncio.gather(push, return_exceptions=True)
        assert answers() == [], "the answer was not taken before the bot died"

        telegram.hold_texts_with = None
        process, _line = await start_run(env)
        await wait_for(lambda: bool(answers()), "the answer arrives after the restart")
        await asyncio.sleep(2)  # a second copy would have been sent by now
        await stop(process)
        process, _line = await start_run(env)
        await asyncio.sleep(2)
        await stop(process)
    finally:
        await telegram.stop()
    assert len(answers()) == 1, "exactly once, also after another restart"


async def _frames_until_menu(socket: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """The frames a page gets on connecting, up to the first that brings buttons."""
    frames = []
    while True:
        frame = await asyncio.wait_for(socket.receive_json(), 20)
        frames.append(frame)
        if frame.get("buttons"):
            return frames


def _text(frame: dict[str, Any]) -> str:
    return " ".join(span["text"] for block in frame["blocks"] for span in block["spans"])


async def test_web_reply_waits_for_the_page_across_a_kill(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3", "WEB_PORT": str(port)}
    process, _line = await start_run(env)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as page:
        try:
            await (await page.get(base + "/")).release()
            socket = await page.ws_connect(base + "/ws", headers={"Origin": base})
            language = (await _frames_until_menu(socket))[-1]
            deutsch = next(b["payload"] for row in language["buttons"] for b in row if b["label"] == "Deutsch")
            await socket.send_json({"type": "button", "payload": deutsch})
            answer = await asyncio.wait_for(socket.receive_json(), 20)
            assert de(CITY_QUESTION) in _text(answer) and "receipt" in answer
            # The page dies before it could confirm the answer, and so does the bot.
            await stop(process, signal.SIGKILL)
            await socket.close()

            process, _line = await start_run(env)
            socket = await page.ws_connect(base + "/ws", headers={"Origin": base})
            again = await _frames_until_menu(socket)
            assert [f["receipt"] for f in again if "receipt" in f] == [answer["receipt"]]
            assert _text(again[0]) == _text(answer), "the unconfirmed answer comes again, the same"
            await socket.send_json({"type": "received", "receipt": answer["receipt"]})
            await asyncio.sleep(0.5)
            await socket.close()

            socket = await page.ws_connect(base + "/ws", headers={"Origin": base})
            after = await _frames_until_menu(socket)
            await socket.close()
        finally:
            await stop(process)
    assert all(f.get("receipt") != answer["receipt"] for f in after), "once confirmed, it is not sent again"
    assert de(CITY_QUESTION) in _text(after[-1]), "the page shows where the resident is"
