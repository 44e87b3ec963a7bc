"""Nothing grows without end: the pruning job, on a clock the test moves forward."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bot.retention import RetentionJob
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity
from storage import platform_state
from storage.migrate import upgrade
from storage.models import metadata, utcnow
from storage.retention import Periods
from storage.store import Store
from tests.chat import Chat
from tests.cli import start_run
from tests.test_crash_replies import stop, wait_for
from tests.test_dashboard import link_from, sign_in
from tests.test_journey import _idea_number, submit_idea
from tests.test_run import free_port
from tests.web_helpers import web_client

ADMIN = Identity("test", "admin")


class ClockedStore(Store):
    """The store on a clock the test sets."""

    moment: datetime = utcnow()

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def clocked(content: Content, languages: Languages, store_url: str) -> Iterator[Engine]:
    store = ClockedStore(store_url)
    engine = Engine(content, languages, store, admins=[ADMIN], web_base_url="http://bot.test")
    yield engine
    engine.close()
    store.dispose()


def count(store: Store, table: str, *where: Any) -> int:
    query = select(func.count()).select_from(metadata.tables[table]).where(*where)
    return int(store.run(lambda tx: tx.rows(query))[0][0])


async def test_the_job_prunes_each_kind_after_its_period(clocked: Engine) -> None:
    store = clocked.store
    assert isinstance(store, ClockedStore)
    start = store.moment
    job = RetentionJob(store, Periods(), database_url=str(store.engine.url))
    admin = Chat(clocked, "admin")
    await admin.onboard()
    moderator = Chat(clocked, "mona")
    await moderator.onboard()
    await admin.says("/grant test:mona moderator")
    old = Chat(clocked, "old-browser", platform="web")
    await old.onboard()
    await submit_idea(old, "Schattenplätze am Spielplatz", "Am Spielplatz im Hirschbach fehlt jeder Schatten.")
    decided = _idea_number(old)
    await submit_idea(old, "Wasserspender im Rathaus", "Im Rathaus gibt es kein Trinkwasser für Wartende.")
    waiting = _idea_number(old)
    await moderator.says(f"/approve {decided}")
    recent = Chat(clocked, "recent-browser", platform="web")
    await recent.onboard()
    platform_state.keep_notice(store, "web", "recent-browser", {"blocks": []}, start)
    platform_state.remember_message(store, "matrix", "$r", {"undo": "r.withdraw.1", "sender": "@x:y"}, start)
    await admin.says("/dashboard")
    async with web_client(clocked) as client:
        await sign_in(client, link_from(admin))  # a used login link, and a session
    await admin.says("/dashboard")  # a link never used

    assert count(store, "action_token") == 12  # three buttons for each idea, to mona and to the admin
    pruned = await job.run_once()
    assert pruned["dashboard_token"] == 1, "the used login link goes at once"
    assert pruned["action_token"] == 6, "the buttons of the decided idea go at once"
    assert count(store, "dashboard_token") == 2

    store.moment = start + timedelta(hours=9)
    await job.run_once()
    assert count(store, "dashboard_token") == 0, "the expired link and session go"

    store.moment = start + timedelta(days=20)
    await job.run_once()
    assert count(store, "action_token") == 0, "notification buttons go when they expire (14 days)"
    assert count(store, "processed_event") == 0, "event ids go after 7 days"
    assert count(store, "platform_message") == 1

    store.moment = start + timedelta(days=200)
    await recent.says("/menu")
    await job.run_once()
    assert count(store, "pending_notice") == 0, "notices go after 180 days"
    assert count(store, "platform_message") == 0, "reactions are remembered for 30 days"
    assert count(store, "resident") == 4, "nobody has been silent for a year yet"

    store.moment = start + timedelta(days=366)
    pruned = await job.run_once()
    assert pruned["web residents erased"] == 1
    R = metadata.tables["resident"].c
    assert [row[0] for row in store.run(lambda tx: tx.rows(select(R.user_id).order_by(R.id)))] == [
        "admin",
        "mona",
        "recent-browser",
    ], "only the anonymous web resident silent for a year is erased; people on other platforms stay"
    I = metadata.tables["idea"].c  # noqa: E741
    ideas = store.run(lambda tx: tx.rows(select(I.id, I.author_id).order_by(I.id)))
    assert ideas == [(decided, None), (waiting, None)], "their ideas stay, without author"
    assert count(store, "conversation") == 3


async def test_bot_run_prunes_at_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bot.sqlite3"
    upgrade(url)
    store = Store(url)
    long_ago = utcnow() - timedelta(days=400)
    try:

        def seed(tx: Any) -> None:
            tx.load_or_create_resident("web", "gone-browser", "gone-browser", "menu", long_ago)
            tx.load_or_create_resident("web", "fresh-browser", "fresh-browser", "menu", utcnow())
            tx.execute(
                insert(metadata.tables["pending_notice"]).values(
                    platform="web", user_id="fresh-browser", reply="{}", created_at=long_ago
                )
            )

        store.run(seed)
        process, line = await start_run({"DATABASE_URL": url, "WEB_PORT": str(free_port())})
        try:
            assert "running" in line
            await wait_for(lambda: count(store, "pending_notice") == 0, "the old notice is pruned")
            await wait_for(lambda: count(store, "resident") == 1, "the web resident silent for 400 days is erased")
        finally:
            await stop(process)
    finally:
        store.dispose()
