"""Figures for staff: /stats in the chat and the dashboard behind a one-time login link."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from sqlalchemy import func, select, update

from bot.ideas import import_rows, read_table, validate
from bot.web.server import SECURITY_HEADERS
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity
from storage.models import Role, dashboard_token_table, idea_table, resident_table, vote_table
from storage.store import Store
from tests.chat import Chat
from tests.helpers import seed_many_votes
from tests.test_ideenspeicher import SAMPLE
from tests.web_helpers import WebResident, text_of, web_client

STAFF = Identity("test", "stefanie")


@pytest.fixture
def staff_engine(content: Content, languages: Languages, store: Store) -> Iterator[Engine]:
    engine = Engine(content, languages, store, admins=[Identity("test", "admin")], web_base_url="http://bot.test")
    yield engine
    engine.close()


async def make_staff(engine: Engine, store: Store) -> Chat:
    from storage import moderation as db

    chat = Chat(engine, STAFF.user_id)
    await chat.onboard()
    store.run(lambda tx: db.grant(tx, "test", STAFF.user_id, Role.STAFF, "all", "test", store.now()))
    return chat


def fill(store: Store, content: Content) -> None:
    rows, _errors = validate(read_table(SAMPLE), content)
    import_rows(store, rows, dry_run=False)
    now = store.now()

    def votes(tx) -> None:  # type: ignore[no-untyped-def]
        for n in range(6):
            record = tx.load_or_create_resident("telegram" if n % 2 else "web", f"v{n}", f"v{n}", "menu", now)
            for idea_id in range(1, 2 + n):
                tx.add_vote(record.id, idea_id, now)

    store.run(votes)


async def test_stats_equal_the_store(staff_engine: Engine, store: Store, content: Content) -> None:
    fill(store, content)
    stefanie = await make_staff(staff_engine, store)
    await stefanie.says("/stats")
    text = stefanie.reply.plain_text
    I = idea_table.c  # noqa: E741
    for topic in content.handlungsfelder:
        ideas, supports = store.run(
            lambda tx, t=topic.id: tx.rows(
                select(func.count(), func.coalesce(func.sum(I.support_count), 0)).where(
                    I.field_id == t, I.status == "approved"
                )
            )
        )[0]
        assert f"{topic.title['de']}: {ideas} Ideen, {supports} Unterstützungen" in text
    platforms = store.run(
        lambda tx: tx.rows(select(resident_table.c.platform, func.count()).group_by(resident_table.c.platform))
    )
    names = {"telegram": "Telegram", "web": "Web-Chat", "test": "test"}
    for platform, count in platforms:
        assert f"{names[platform]}: {count}" in text
    votes = store.run(lambda tx: tx.rows(select(func.count()).select_from(vote_table)))[0][0]
    people = store.run(lambda tx: tx.rows(select(func.count()).select_from(resident_table)))[0][0]
    assert votes == 21 and people == 7
    assert f"Neu in dieser Woche: 20 Ideen, {votes} Unterstützungen, {people} Teilnehmende." in text


async def test_stats_and_dashboard_show_supports_per_platform(
    staff_engine: Engine, store: Store, content: Content
) -> None:
    fill(store, content)
    stefanie = await make_staff(staff_engine, store)
    await stefanie.says("/stats")
    assert "Unterstützungen nach Plattform:\n• Telegram: 12\n• test: 0\n• Web-Chat: 9\n" in stefanie.reply.plain_text
    await stefanie.says("/dashboard")
    async with web_client(staff_engine) as client:
        await sign_in(client, link_from(stefanie))
        html = await (await client.get("/dashboard")).text()
        assert '<h2 id="platform-supports">Unterstützungen nach Plattform</h2>' in html
        assert "<td>Telegram</td><td>3</td><td>12</td>" in html and "<td>Web-Chat</td><td>3</td><td>9</td>" in html
        csv = await (await client.get("/dashboard/platforms.csv")).text()
        assert csv == "Plattform,Teilnehmende,Unterstützungen\nTelegram,3,12\ntest,1,0\nWeb-Chat,3,9\n"


async def test_residents_get_no_stats_or_dashboard(staff_engine: Engine) -> None:
    anna = Chat(staff_engine, "anna")
    await anna.onboard()
    for command in ("/stats", "/dashboard"):
        await anna.says(command)
        assert anna.sees("Das dürfen Sie leider nicht.")


def link_from(chat: Chat) -> str:
    match = re.search(r"http://bot\.test(/dashboard/login\?token=[\w-]+)", chat.reply.plain_text)
    assert match, chat.reply.plain_text
    return match.group(1)


async def sign_in(client: Any, link: str) -> Any:
    """What a browser does with the link: open it, then press "Anmelden" (a POST from the bot's own page)."""
    landing = await client.get(link)
    assert landing.status == 200, await landing.text()
    token = parse_qs(urlsplit(link).query)["token"][0]
    own = str(client.make_url("")).rstrip("/")
    return await client.post("/dashboard/login", data={"token": token}, headers={"Origin": own}, allow_redirects=False)


async def test_dashboard_needs_a_fresh_one_time_link(staff_engine: Engine, store: Store, content: Content) -> None:
    fill(store, content)
    stefanie = await make_staff(staff_engine, store)
    async with web_client(staff_engine) as client:
        nothing = await client.get("/dashboard")
        assert nothing.status == 403
        assert "Bitte fordern Sie beim Bot mit /dashboard einen neuen Anmeldelink an" in await nothing.text()
        assert (await client.get("/dashboard/login?token=geraten")).status == 403
        assert (await client.get("/dashboard/fields.csv")).status == 403

        await stefanie.says("/dashboard")
        assert stefanie.sees("Er funktioniert einmal, innerhalb von 10 Minuten")
        link = link_from(stefanie)
        for _preview in range(3):  # link previews (webmail, messengers) fetch the link: it keeps working
            landing = await client.get(link)
            assert landing.status == 200 and "Anmelden" in await landing.text()
        assert (await client.get("/dashboard")).status == 403, "opening the link alone signs nobody in"
        opened = await sign_in(client, link)
        assert opened.status == 303 and opened.headers["Location"] == "/dashboard"
        cookie = opened.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/dashboard" in cookie
        assert opened.headers["Cache-Control"] == "no-store", "the response that sets the cookie is never cached"
        for header, value in SECURITY_HEADERS.items():
            assert opened.headers[header] == value, f"the redirect that sets the cookie lacks {header}"
        page = await client.get("/dashboard")
        html = await page.text()
        assert page.status == 200
        assert html.count("<svg") == 5 and "Veröffentlichte Ideen nach Thema und Stadt" in html
        assert "<table>" in html and "Als CSV herunterladen" in html
        csv = await client.get("/dashboard/fields.csv")
        assert csv.status == 200 and csv.content_type == "text/csv"
        assert (await csv.text()).startswith("Thema,Stadt,Veröffentlichte Ideen,Unterstützungen\nMobilität,Aalen,")

        client.session.cookie_jar.clear()
        assert (await client.get(link)).status == 403, "a link works once"
        token = parse_qs(urlsplit(link).query)["token"][0]
        own = str(client.make_url("")).rstrip("/")
        again = await client.post("/dashboard/login", data={"token": token}, headers={"Origin": own})
        assert again.status == 403, "a link works once"

        await stefanie.says("/dashboard")
        late = link_from(stefanie)
        store.run(
            lambda tx: tx.execute(update(dashboard_token_table).values(expires_at=store.now() - timedelta(minutes=1)))
        )
        assert (await client.get(late, allow_redirects=False)).status == 403, "an expired link is refused"


async def test_a_login_from_another_site_is_refused_and_logout_ends_the_session(
    staff_engine: Engine, store: Store
) -> None:
    stefanie = await make_staff(staff_engine, store)
    async with web_client(staff_engine) as client:
        await stefanie.says("/dashboard")
        link = link_from(stefanie)
        token = parse_qs(urlsplit(link).query)["token"][0]
        forged = await client.post(
            "/dashboard/login", data={"token": token}, headers={"Origin": "https://evil.example"}
        )
        assert forged.status == 403, "a form on another site cannot sign anyone in"
        cross = await client.post(
            "/dashboard/login", data={"token": token}, headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"}
        )
        assert cross.status == 403, "nor one whose browser says it comes from another site"
        assert (await sign_in(client, link)).status == 303, "and the link still works from the bot's own page"
        page = await client.get("/dashboard")
        assert 'action="/dashboard/logout"' in await page.text()
        session = client.session.cookie_jar.filter_cookies(client.make_url("/dashboard"))["mitmach_dashboard"].value

        own = str(client.make_url("")).rstrip("/")
        assert (await client.post("/dashboard/logout", headers={"Origin": "https://evil.example"})).status == 403
        assert (await client.get("/dashboard")).status == 200, "another site cannot sign staff out"
        out = await client.post("/dashboard/logout", headers={"Origin": own})
        assert out.status == 200 and "Sie sind abgemeldet" in await out.text()
        assert (await client.get("/dashboard")).status == 403
        again = await client.get("/dashboard", cookies={"mitmach_dashboard": session})
        assert again.status == 403, "a copy of the old cookie opens nothing"


async def test_dashboard_session_ends_with_the_role(staff_engine: Engine, store: Store) -> None:
    from storage import moderation as db

    stefanie = await make_staff(staff_engine, store)
    async with web_client(staff_engine) as client:
        await stefanie.says("/dashboard")
        await sign_in(client, link_from(stefanie))
        assert (await client.get("/dashboard")).status == 200
        store.run(lambda tx: db.revoke(tx, "test", STAFF.user_id, Role.STAFF, "all"))
        assert (await client.get("/dashboard")).status == 403, "the role is checked on every request"


async def test_dashboard_csv_never_hands_a_spreadsheet_a_formula(staff_engine: Engine, store: Store) -> None:
    stefanie = await make_staff(staff_engine, store)
    await Chat(staff_engine, "x", platform="=HYPERLINK(1)").says("/start")
    await Chat(staff_engine, "y", platform="@evil").says("/start")
    await stefanie.says("/dashboard")
    async with web_client(staff_engine) as client:
        await sign_in(client, link_from(stefanie))
        csv = await (await client.get("/dashboard/platforms.csv")).text()
    assert "\n'=HYPERLINK(1),1,0\n" in csv and "\n'@evil,1,0\n" in csv
    assert not any(line.startswith(("=", "+", "-", "@")) for line in csv.splitlines())


@pytest.fixture
def busy_store(store_url: str, content: Content) -> Iterator[Store]:
    """A store with 200,000 supports: counting them all takes the database a while."""
    store = Store(store_url)
    seed_many_votes(store, [topic.id for topic in content.handlungsfelder], 200_000)
    yield store
    store.dispose()


async def test_a_resident_is_answered_while_the_dashboard_loads(
    content: Content, languages: Languages, busy_store: Store
) -> None:
    engine = Engine(content, languages, busy_store, web_base_url="http://bot.test")
    dashboard_requested = asyncio.Event()

    @web.middleware
    async def watch(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Any:
        if request.path == "/dashboard":
            dashboard_requested.set()
        return await handler(request)

    try:
        stefanie = await make_staff(engine, busy_store)
        await stefanie.says("/dashboard")
        async with web_client(engine, watch=[watch]) as client:
            await sign_in(client, link_from(stefanie))
            anna = WebResident(str(client.make_url("/")))
            try:
                await anna.open()
                await anna.presses("Deutsch")
                load = asyncio.create_task(client.get("/dashboard"))
                await dashboard_requested.wait()
                await anna.presses("Aalen")
                assert "Was möchten Sie tun?" in text_of(anna.frame)
                assert not load.done(), "the resident's reply waited for the dashboard"
                page = await load
                assert page.status == 200
                assert "<td>Matrix</td><td>6667</td><td>66670</td>" in await page.text()
            finally:
                await anna.close()
    finally:
        engine.close()


async def test_a_resident_is_answered_while_stats_are_counted(
    content: Content, languages: Languages, store: Store
) -> None:
    """On SQLite the engine runs events on the event loop (on PostgreSQL in threads); /stats is the exception."""
    seed_many_votes(store, [topic.id for topic in content.handlungsfelder], 200_000)
    engine = Engine(content, languages, store)
    try:
        stefanie = await make_staff(engine, store)
        async with web_client(engine) as client:
            anna = WebResident(str(client.make_url("/")))
            try:
                await anna.open()
                await anna.presses("Deutsch")
                counting = asyncio.create_task(stefanie.says("/stats"))
                await asyncio.sleep(0)  # the staff member's event has begun
                await anna.presses("Aalen")
                assert "Was möchten Sie tun?" in text_of(anna.frame)
                assert not counting.done(), "the resident's reply waited for /stats"
                await counting
                assert stefanie.sees("Matrix: 66.670")
            finally:
                await anna.close()
    finally:
        engine.close()
