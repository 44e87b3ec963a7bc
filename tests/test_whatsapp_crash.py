"""A WhatsApp reply the store promised arrives once, even when the bot dies before sending it.

`python -m bot run` serves the WhatsApp webhook as an operator runs it; it is killed with
SIGKILL after the message is stored (WhatsApp got its 200) but before the reply went out.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.cli import run_cli, start_run
from tests.fake_whatsapp import FakeWhatsApp
from tests.test_crash_replies import stop, wait_for
from tests.test_run import free_port
from tests.whatsapp_helpers import VERIFY_TOKEN

WELCOME = "Willkommen beim Mitmach-Bot"


async def test_whatsapp_reply_is_sent_once_after_a_kill(tmp_path: Path) -> None:
    whatsapp = FakeWhatsApp()
    await whatsapp.start()
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3",
        "WEB_PORT": str(port),
        "WHATSAPP_TOKEN": whatsapp.token,
        "WHATSAPP_PHONE_NUMBER_ID": whatsapp.phone_number_id,
        "WHATSAPP_APP_SECRET": whatsapp.app_secret,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_URL": whatsapp.api_url,
    }
    whatsapp.webhook_url = f"http://127.0.0.1:{port}/whatsapp/webhook"
    number = "4917612345678"
    answers = lambda: [m for m in whatsapp.chats.get(number, []) if WELCOME in m.text]  # noqa: E731
    try:
        whatsapp.hold_bodies_with = WELCOME
        process, line = await start_run(env)
        assert "WhatsApp +49 7361 0000" in line
        assert await whatsapp.deliver(whatsapp.payload(whatsapp.text(number, "Hallo"))) == 200, "stored"
        await wait_for(lambda: bool(whatsapp.held), "the bot began to answer")
        await stop(process, signal.SIGKILL)
        assert answers() == [], "the answer was not taken before the bot died"

        whatsapp.hold_bodies_with = None
        process, _line = await start_run(env)
        await wait_for(lambda: bool(answers()), "the answer arrives after the restart")
        await asyncio.sleep(2)  # a second copy would have been sent by now
        await stop(process)
        process, _line = await start_run(env)
        await asyncio.sleep(2)
        await stop(process)
    finally:
        await whatsapp.stop()
    assert len(answers()) == 1, "exactly once, also after another restart"


async def test_a_wrong_whatsapp_setting_stops_the_bot_naming_it(tmp_path: Path) -> None:
    whatsapp = FakeWhatsApp()
    await whatsapp.start()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3",
        "WEB_PORT": str(free_port()),
        "WHATSAPP_TOKEN": "expired-token",
        "WHATSAPP_PHONE_NUMBER_ID": whatsapp.phone_number_id,
        "WHATSAPP_APP_SECRET": whatsapp.app_secret,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_URL": whatsapp.api_url,
    }
    try:
        wrong_token = await asyncio.to_thread(run_cli, "run", env=env)
        missing = await asyncio.to_thread(run_cli, "run", env={**env, "WHATSAPP_APP_SECRET": ""})
    finally:
        await whatsapp.stop()
    assert wrong_token.returncode == 2 and "WHATSAPP_TOKEN" in wrong_token.stderr
    assert "expired-token" not in wrong_token.stderr + wrong_token.stdout
    assert missing.returncode == 2 and "WHATSAPP_APP_SECRET" in missing.stderr
