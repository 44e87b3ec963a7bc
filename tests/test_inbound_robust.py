"""One bad event never silences a platform: any Unicode at every adapter's inbound parsing.

Hypothesis makes up the texts (tests/helpers.py `arbitrary_texts`); each adapter takes
them through its public entry, and afterwards still answers /help. `/readyz` says
whether every platform's receive loop runs.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiohttp.test_utils import TestClient

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.web.ratelimit import RateLimiter
from bot.web.server import watch_loop
from dialogs.engine import Engine
from tests.conftest import start_telegram
from tests.fake_telegram import FakeTelegram
from tests.helpers import arbitrary_texts
from tests.web_helpers import WebResident, text_of, web_client

SORRY = "bei uns ist ein Fehler aufgetreten"


async def test_arbitrary_unicode_never_silences_telegram(polling: TelegramAdapter, fake: FakeTelegram) -> None:
    await fake.push(fake.message_update(501, "/start"))
    for text in arbitrary_texts(40):
        await fake.push(fake.message_update(501, text))
        await fake.push(fake.callback_update(501, text[:64], 1))
    await fake.push(fake.message_update(501, "/help"))
    deadline = time.monotonic() + 30
    while not any("So funktioniert es" in m.text for m in fake.chats.get("501", [])):
        assert time.monotonic() < deadline, "the bot stopped answering on Telegram"
        await asyncio.sleep(0.05)
    assert not any(SORRY in m.text for m in fake.chats["501"])
    assert polling.alive()


async def test_arbitrary_unicode_and_frames_never_silence_the_web_chat(engine: Engine) -> None:
    async with web_client(engine, limiter=RateLimiter(rate=1000, burst=1000)) as client:
        tab = WebResident(str(client.make_url("/")))
        try:
            await tab.open()
            await tab.says("/start")
            for text in arbitrary_texts(40):
                await tab.socket.send_str(json.dumps({"type": "text", "text": text}))
                await tab.socket.send_str(text)  # not even JSON
            await tab.socket.send_str(json.dumps({"type": "text", "text": "/help"}))
            while "So funktioniert es" not in text_of(tab.frame):
                await tab.next()
                assert SORRY not in text_of(tab.frame)
        finally:
            await tab.close()


async def test_readyz_names_a_receive_loop_that_is_down(engine: Engine, fake: FakeTelegram) -> None:
    adapter = await start_telegram(engine, fake)
    async with web_client(engine) as client:
        watch_loop(client.app, "telegram", adapter.alive)
        ready = await client.get("/readyz")
        assert ready.status == 200 and (await ready.json())["status"] == "ok"
        await adapter.stop()
        down = await client.get("/readyz")
        assert down.status == 503
        assert await down.json() == {"status": "unavailable", "down": ["telegram"]}
        health = await client.get("/healthz")
        assert health.status == 200, "/healthz stays trivial"


async def until_ready(client: TestClient, status: int) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 30
    while (await client.get("/readyz")).status != status:
        assert time.monotonic() < deadline, f"/readyz never answered {status}"
        await asyncio.sleep(0.05)


async def test_a_receive_loop_that_dies_is_started_again(
    engine: Engine, polling: TelegramAdapter, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    async with web_client(engine) as client:
        watch_loop(client.app, "telegram", polling.alive)
        await until_ready(client, 200)
        token = fake.token
        fake.token = "revoked"  # the Bot API refuses the bot (401): the polling loop ends with an error
        await until_ready(client, 503)
        fake.token = token
        await until_ready(client, 200)
    assert "the telegram-polling loop died; restarting it" in caplog.text
    await fake.push(fake.message_update(502, "/help"))
    deadline = time.monotonic() + 30
    while not any("So funktioniert es" in m.text for m in fake.chats.get("502", [])):
        assert time.monotonic() < deadline, "the restarted loop does not answer"
        await asyncio.sleep(0.05)
