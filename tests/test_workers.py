"""Several worker processes (`python -m bot run --workers N`): what they refuse, and what they share.

Two web apps on one PostgreSQL stand for two workers behind one port: a notice one of them
keeps reaches the page open in the other at once (LISTEN/NOTIFY), and a reply for a platform
that only another worker runs (Matrix's single sync loop) is handed over to that one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.web.server import CONTEXT_KEY
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Block, Outbound, Reply, Span
from storage import replies
from storage.store import Store
from tests.web_helpers import WebResident, text_of, web_client

ROOT = Path(__file__).resolve().parent.parent
NOTICE = "Ihre Idee wurde gerade freigegeben."


def bot_run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LOG_LEVEL": "WARNING", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_workers_need_postgresql(sqlite_url: str) -> None:
    refused = bot_run("--workers", "2", DATABASE_URL=sqlite_url)
    assert refused.returncode == 2
    assert "several workers need PostgreSQL" in refused.stderr and "DATABASE_URL" in refused.stderr


def test_telegram_polling_is_not_shared_by_workers(postgres_url: str) -> None:
    refused = bot_run("--workers", "2", DATABASE_URL=postgres_url, TELEGRAM_TOKEN="123:abc")
    assert refused.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in refused.stderr and "PUBLIC_URL" in refused.stderr


@pytest.fixture
def two_workers(content: Content, languages: Languages, postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    engines = (
        Engine(content, languages, Store(postgres_url), worker="one"),
        Engine(content, languages, Store(postgres_url), worker="two"),
    )
    yield engines
    for engine in engines:
        engine.close()
        engine.store.dispose()


def notice() -> Reply:
    return Reply(blocks=(Block((Span(NOTICE),)),), language="de")


async def test_a_notice_kept_by_one_worker_reaches_the_page_open_in_another(two_workers: tuple[Engine, Engine]) -> None:
    one, two = two_workers
    async with web_client(one) as first, web_client(two) as second:
        page = WebResident(str(first.make_url("/")))
        try:
            await page.open()
            await page.presses("Deutsch")
            await page.presses("Aalen")
            delivery = second.app[CONTEXT_KEY].delivery
            await delivery.deliver([Outbound(page.identity, page.identity.user_id, notice())])
            while NOTICE not in text_of(page.frame):
                await asyncio.wait_for(page.next(), 10)
            assert page.frame["notification"] is True
        finally:
            await page.close()


def test_a_reply_for_a_platform_another_worker_runs_is_sent_by_that_one(store_url: str) -> None:
    store = Store(store_url)
    try:
        now = store.now()
        kept, _token = store.run(
            lambda tx: replies.keep(tx, "matrix", "@anna:example.org", "!room", {"blocks": []}, "web-only", now)
        )
        store.run(lambda tx: replies.hand_over(tx, kept, now))
        assert store.run(lambda tx: replies.due(tx, "web-only", now, ("web",))) == []
        taken = store.run(lambda tx: replies.due(tx, "matrix-runner", now, ("matrix", "web")))
        assert [row.id for row in taken] == [kept]
        assert store.run(lambda tx: replies.due(tx, "another", now, ("matrix",))) == [], "sent by one worker only"
    finally:
        store.dispose()
