"""The web chat in a real browser: a whole journey with the keyboard alone, and axe-core.

Runs Debian's Chromium (installed by .ci/run) through Playwright, against the bot's own
server on a free loopback port. Skips, saying why, where Chromium, Playwright or
axe-core (npm, tests/browser) is missing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from bot.adapters.markup import isolate_runs
from bot.delivery import Delivery
from bot.web.server import create_app
from dialogs.engine import Engine
from dialogs.messages import InboundKind
from storage.store import Store
from tests.chat import Chat
from tests.conftest import ROOT
from tests.helpers import approve, seed_idea
from tests.texts import (
    ASK_DESCRIPTION,
    ASK_TITLE,
    CITY_QUESTION,
    DATA_DELETED,
    IDEA_PAGE,
    IDEA_RECEIVED,
    MENU_OUT_OF_DATE,
    PUBLISHED,
    WELCOME,
    city,
    de,
    de_start,
    en,
)

SIGNED_OUT = "You are signed out. To sign in again, ask the bot for a new login link with /dashboard."

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
DOCS = ROOT / "docs"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _why_not() -> str | None:
    if not CHROMIUM:
        return "no Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if not AXE.exists():
        return "axe-core is not installed (npm ci --prefix tests/browser)"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


@pytest.fixture
def delivery() -> Delivery:
    return Delivery()


@asynccontextmanager
async def serving(engine: Engine, **options: Any) -> AsyncIterator[str]:
    """The bot's web app on a free port of 127.0.0.1; `options` go to create_app. Yields its URL."""
    runner = web.AppRunner(create_app(engine, **options), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


@pytest.fixture
async def server_url(engine: Engine, delivery: Delivery) -> AsyncIterator[str]:
    async with serving(engine, delivery=delivery) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


async def focused_text(page: Any) -> str:
    """The label of the focused button; empty where the focus is on anything else."""
    focused = "document.activeElement"
    return str(await page.evaluate(f"{focused} && {focused}.tagName === 'BUTTON' ? {focused}.textContent : ''"))


async def choose(page: Any, label: str) -> None:
    """Tab to the button that starts with `label` and press Enter: the keyboard alone."""
    for _ in range(25):
        if (await focused_text(page)).startswith(label):
            await page.keyboard.press("Enter")
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {label!r} with Tab")


async def type_answer(page: Any, text: str) -> None:
    assert await page.evaluate("document.activeElement.id") == "message", "the text field has the focus"
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")


async def wait_for(page: Any, text: str) -> None:
    await page.locator("#log .message.bot").filter(has_text=text).last.wait_for(timeout=10_000)


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["html"] for n in v["nodes"]][:3]} for v in result["violations"]
    ]


async def test_keyboard_journey_tour_field_submit_pending(browser: Any, server_url: str) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE")
    await page.goto(server_url)
    await wait_for(page, de(WELCOME))
    await choose(page, "Deutsch")
    await wait_for(page, de(CITY_QUESTION))
    await choose(page, city("aalen"))
    await wait_for(page, de("What would you like to do?"))
    await choose(page, de("Discover the vision"))
    await wait_for(page, "Unsere gemeinsame Vision")
    await choose(page, de("Next: the goals"))
    await wait_for(page, "Leitziel 1 von 5")
    await choose(page, "Rundgang überspringen")
    await wait_for(page, "Was möchten Sie tun?")
    await choose(page, "Ideen nach Thema")
    await wait_for(page, "Themen (Handlungsfelder)")
    await choose(page, "Mobilität")
    await wait_for(page, "Bus, Rad, Auto")
    await choose(page, de("Submit an idea on this topic"))
    await wait_for(page, de("You will be asked for:"))
    await choose(page, de("I agree, let's start"))
    await wait_for(page, de_start(ASK_TITLE))
    await type_answer(page, "Freie Parkplätze in Echtzeit")
    await wait_for(
        page,
        de_start(ASK_DESCRIPTION),
    )
    await type_answer(page, "Eine Anzeige am Ortseingang zeigt, wo gerade Parkplätze frei sind.")
    await wait_for(page, de("Which city does your idea concern?"))
    await choose(page, city("aalen"))
    await wait_for(page, de("Please check your idea:"))
    await choose(page, de("✅ Submit"))
    await wait_for(page, de_start(IDEA_RECEIVED))
    await choose(page, de("My ideas"))
    await wait_for(page, de("being reviewed"))
    mine = await page.locator("#log .message.bot").last.inner_text()
    assert "„Freie Parkplätze in Echtzeit“" in mine

    await page.reload()
    await wait_for(page, "„Freie Parkplätze in Echtzeit“")
    await page.close()


async def test_resident_text_is_shown_as_text(browser: Any, server_url: str) -> None:
    page = await browser.new_page(locale="de-DE")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto(server_url)
    await wait_for(page, de(WELCOME))
    await page.locator("#message").fill("<img src=x onerror=alert(1)><b>fett</b>")
    await page.keyboard.press("Enter")
    await wait_for(page, de(WELCOME))
    assert await page.locator("#log img").count() == 0
    assert await page.locator("#log b").count() == 0
    assert "<img src=x onerror=alert(1)><b>fett</b>" in await page.locator("#log").inner_text()
    assert dialogs == []
    await page.close()


async def test_no_wcag_violations_and_screenshots(browser: Any, server_url: str, engine: Engine, store: Store) -> None:
    from tests.helpers import seed_idea

    for title in ("Echtzeit-Fahrgastinformation an Haltestellen", "Freie Parkplätze in Echtzeit anzeigen"):
        approve(store, seed_idea(store, title))
    DOCS.mkdir(exist_ok=True)
    for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
        page = await browser.new_page(viewport=viewport, locale="de-DE")
        await page.goto(server_url)
        await wait_for(page, de(WELCOME))
        assert await axe_violations(page) == []
        await choose(page, "Deutsch")
        await wait_for(page, "In welcher Stadt wohnen Sie")
        await choose(page, "Aalen")
        await wait_for(page, "Was möchten Sie tun?")
        await choose(page, "Ideen nach Thema")
        await wait_for(page, "Themen (Handlungsfelder)")
        await choose(page, "Mobilität")
        await wait_for(page, "Bus, Rad, Auto")
        await choose(page, de("Show ideas"))
        await wait_for(page, de_start(IDEA_PAGE))
        assert await axe_violations(page) == []
        await page.screenshot(path=str(DOCS / f"web-chat-{name}.png"), full_page=False)
        await page.close()
    assert (DOCS / "web-chat-desktop.png").stat().st_size > 10_000


async def test_a_notification_keeps_the_menu(
    browser: Any, server_url: str, engine: Engine, store: Store, delivery: Delivery
) -> None:
    from storage import moderation as db
    from storage.models import Role

    page = await browser.new_page(locale="de-DE")
    await page.goto(server_url)
    await wait_for(page, de(WELCOME))
    await choose(page, "Deutsch")
    await wait_for(page, de(CITY_QUESTION))
    await choose(page, city("aalen"))
    await wait_for(page, de("What would you like to do?"))
    await choose(page, de("Submit an idea"))
    await wait_for(page, de("You will be asked for:"))
    await choose(page, de("I agree, let's start"))
    await wait_for(page, de_start(ASK_TITLE))
    await type_answer(page, "Schattenplätze am Spielplatz")
    await wait_for(
        page,
        de_start(ASK_DESCRIPTION),
    )
    await type_answer(page, "Sonnensegel über dem Sandkasten, damit Kinder im Sommer spielen können.")
    await wait_for(page, de("Which topic does your idea belong to?"))
    await choose(page, "Klima")
    await wait_for(page, de("Which city does your idea concern?"))
    await choose(page, city("aalen"))
    await wait_for(page, de("Please check your idea:"))
    await choose(page, de("✅ Submit"))
    await wait_for(page, de_start(IDEA_RECEIVED))

    moderator = Chat(engine, "moderatorin")
    await moderator.onboard()
    store.run(lambda tx: db.grant(tx, "test", "moderatorin", Role.MODERATOR, "aalen", "test", store.now()))
    outbounds = await moderator.send(moderator.inbound(InboundKind.COMMAND, "/approve 1"))
    assert moderator.sees("wurde freigegeben")
    await delivery.deliver(o for o in outbounds if o.recipient != moderator.identity)
    await wait_for(page, de_start(PUBLISHED))
    assert await page.locator("#menu button").count() > 0, "the resident's menu is still there"
    await page.close()


class OtherSite:
    """Pages on another site than the bot's: http://localhost:<port> while the bot is on 127.0.0.1."""

    def __init__(self) -> None:
        self.html = ""
        self.url = ""


@pytest.fixture
async def other_site() -> AsyncIterator[OtherSite]:
    site = OtherSite()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=site.html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    site.url = f"http://localhost:{tcp._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield site
    await runner.cleanup()


async def no_horizontal_scroll(page: Any) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


async def test_dashboard_link_clicked_on_another_site(
    browser: Any, server_url: str, engine: Engine, store: Store, other_site: OtherSite
) -> None:
    import re

    from storage import moderation as db
    from storage.models import Role
    from tests.test_dashboard import fill

    fill(store, engine.content)
    staff = Chat(engine, "stadtbuero")
    await staff.onboard()
    store.run(lambda tx: db.grant(tx, "test", "stadtbuero", Role.STAFF, "all", "test", store.now()))
    await staff.says("/dashboard")
    path = re.search(r"/dashboard/login\?token=[\w-]+", staff.reply.plain_text)
    assert path is not None
    link = server_url + path.group(0)[1:]
    other_site.html = f'<!doctype html><title>Webmail</title><p><a href="{link}">Anmeldelink</a></p>'
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    preview = await context.request.get(link)  # a link preview fetches it first
    assert preview.status == 200
    page = await context.new_page()
    refused = await page.goto(server_url + "dashboard")
    assert refused is not None and refused.status == 403
    await page.goto(other_site.url)
    await page.get_by_role("link", name="Anmeldelink").click()
    await page.get_by_role("button", name=de("Sign in")).wait_for()
    assert await axe_violations(page) == []
    await page.get_by_role("button", name=de("Sign in")).click()
    await page.wait_for_url(server_url + "dashboard")
    await page.locator("h1").filter(has_text=de("Dashboard")).wait_for()
    assert await page.locator("svg").count() == 5
    assert await axe_violations(page) == []
    await page.screenshot(path=str(DOCS / "dashboard.png"), full_page=True)

    await page.set_viewport_size({"width": 390, "height": 844})
    assert await no_horizontal_scroll(page), "the dashboard fits a phone's width"
    assert await axe_violations(page) == []
    await page.emulate_media(color_scheme="dark")
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 18, 18)"
    assert await axe_violations(page) == [], "and keeps its contrast in the dark scheme"

    await page.get_by_role("button", name=de("Sign out")).click()
    await page.get_by_text(
        de("You are signed out. To sign in again, ask the bot for a new login link with /dashboard.")
    ).wait_for()
    again = await page.goto(server_url + "dashboard")
    assert again is not None and again.status == 403
    await context.close()


async def web_identity(page: Any) -> Any:
    from bot.web import session

    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    return session.identity_for(cookies[session.COOKIE])


async def submit_idea(chat: Chat, title: str) -> list[Any]:
    """A resident on another platform submits an idea for Aalen; returns the outbounds for others."""
    await chat.onboard()
    for step in (de("Submit an idea"), de("I agree, let's start")):
        await chat.presses(step)
    await chat.says(title)
    await chat.says("Eine ausführliche Beschreibung der Idee, damit sie geprüft werden kann.")
    for step in ("Klima", "Aalen"):
        await chat.presses(step)
    outbounds = await chat.send(chat.inbound(InboundKind.BUTTON, chat.button(de("✅ Submit"))))
    return [o for o in outbounds if o.recipient != chat.identity]


async def test_a_moderators_notification_never_takes_the_menu_or_the_focus(
    browser: Any, server_url: str, engine: Engine, store: Store, delivery: Delivery
) -> None:
    from storage import moderation as db
    from storage.models import Role

    page = await browser.new_page(locale="de-DE")
    await page.goto(server_url)
    await wait_for(page, de(WELCOME))
    await choose(page, "Deutsch")
    await wait_for(page, de(CITY_QUESTION))
    await choose(page, city("aalen"))
    await wait_for(page, de("What would you like to do?"))
    me = await web_identity(page)
    store.run(lambda tx: db.grant(tx, me.platform, me.user_id, Role.MODERATOR, "aalen", "test", store.now()))
    await choose(page, de("Ideas by topic"))
    await wait_for(page, de("Topics"))
    await page.keyboard.press("Tab")
    before = await focused_text(page)
    assert before, "a topic button has the focus"
    menu_before = await page.locator("#menu").inner_text()

    await delivery.deliver(await submit_idea(Chat(engine, "erika"), "Trinkbrunnen am Marktplatz"))
    await wait_for(page, "Trinkbrunnen am Marktplatz")
    notification = page.locator("#log .message.bot").last
    assert await notification.locator("button").count() >= 2, "approve / reject travel with the notification"
    assert await page.locator("#menu").inner_text() == menu_before, "the topics stay the menu"
    assert await focused_text(page) == before, "the focus stays where the moderator was"
    await page.keyboard.press("Enter")
    await wait_for(page, "Bus, Rad, Auto")
    assert store.run(lambda tx: tx.get_idea(1)).status == "pending", "the Enter meant for the topics approved nothing"
    await page.close()


async def test_a_new_menu_never_focuses_a_consequential_button(browser: Any, server_url: str) -> None:
    page = await browser.new_page(locale="de-DE")
    await page.goto(server_url)
    await wait_for(page, de(WELCOME))
    await choose(page, "Deutsch")
    await wait_for(page, de(CITY_QUESTION))
    await choose(page, city("aalen"))
    await wait_for(page, de("What would you like to do?"))
    await page.locator("#message").fill("/privacy")
    await page.keyboard.press("Enter")
    await page.locator("#menu button", has_text=de("Delete my data")).wait_for()
    await choose(page, de("Delete my data"))
    await wait_for(page, de("Really delete your data?"))
    assert await focused_text(page) == "", "no button has the focus"
    await page.keyboard.press("Enter")
    await page.wait_for_timeout(300)
    assert await page.locator("#log .message.bot").filter(has_text=de(DATA_DELETED)).count() == 0
    await page.close()


async def test_a_link_with_an_idea_opens_it_once(browser: Any, server_url: str, store: Store) -> None:
    """„Freunde einladen" on the web gives …/?idea=N: the page opens that idea, then forgets the link."""
    idea = seed_idea(store, "Trinkbrunnen am Marktplatz")
    page = await browser.new_page(locale="de-DE")
    await page.goto(f"{server_url}?idea={idea}")
    await wait_for(page, de(WELCOME))
    assert "idea=" not in page.url, "a reload does not open the link again"
    await choose(page, "Deutsch")
    await wait_for(page, de(CITY_QUESTION))
    await choose(page, city("heidenheim"))
    await wait_for(page, "Trinkbrunnen am Marktplatz")
    await choose(page, de("Invite friends"))
    await wait_for(page, f"/?idea={idea}")
    link = page.locator("#log .message.bot a").last
    assert (await link.get_attribute("href") or "").endswith(f"/?idea={idea}")
    await page.close()


async def test_two_tabs_show_the_same_conversation(browser: Any, server_url: str) -> None:
    context = await browser.new_context(locale="de-DE")
    first = await context.new_page()
    await first.goto(server_url)
    await wait_for(first, de(WELCOME))
    second = await context.new_page()
    await second.goto(server_url)
    await wait_for(second, de(WELCOME))
    await first.locator("#menu button", has_text="Deutsch").click()
    await wait_for(second, de(CITY_QUESTION))
    assert await second.locator("#log .message.you").filter(has_text="Deutsch").count() == 1
    await second.locator("#menu button", has_text="Aalen").click()
    await wait_for(first, de("What would you like to do?"))
    await wait_for(second, de("What would you like to do?"))
    await first.locator("#menu button", has_text=de("Ideas by topic")).click()
    await wait_for(second, de("Topics"))
    for page in (first, second):
        assert de(MENU_OUT_OF_DATE) not in await page.locator("#log").inner_text()
    await context.close()


async def test_a_reload_keeps_the_conversation_and_erasure_clears_it(browser: Any, server_url: str) -> None:
    page = await browser.new_page(locale="de-DE")
    await page.goto(server_url)
    await wait_for(page, de(WELCOME))
    await choose(page, "Deutsch")
    await wait_for(page, de(CITY_QUESTION))
    await choose(page, city("aalen"))
    await wait_for(page, de("What would you like to do?"))
    await choose(page, de("Ideas by topic"))
    await wait_for(page, de("Topics"))
    before = await page.locator("#log .message").all_inner_texts()
    await page.reload()
    await wait_for(page, de("Topics"))
    await page.locator("#menu button").first.wait_for()
    after = await page.locator("#log .message").all_inner_texts()
    assert after == before, "the same messages, none lost, none doubled"
    assert await page.locator("#log time[datetime]").count() == len(after)

    await page.locator("#message").fill("/privacy")
    await page.keyboard.press("Enter")
    await page.locator("#menu button", has_text=de("Delete my data")).wait_for()
    await choose(page, de("Delete my data"))
    await wait_for(page, de("Really delete your data?"))
    await choose(page, de("Yes, delete my data"))
    await wait_for(page, de(DATA_DELETED))
    assert await page.locator("#log .message").count() == 1, "the screen is cleared"
    assert await page.locator("#menu button").inner_text() == de("Start again")
    assert await page.evaluate("localStorage.getItem('mitmach.history')") == "[]"
    await page.reload()
    await wait_for(page, de(WELCOME))
    assert de("Topics") not in await page.locator("#log").inner_text(), "nothing is kept after erasure"
    await choose(page, "Deutsch")
    await wait_for(page, de(CITY_QUESTION))
    await page.close()


async def test_a_restart_loses_and_doubles_nothing(browser: Any, tmp_path: Any) -> None:
    import asyncio
    import signal

    from tests.cli import start_run
    from tests.test_run import free_port

    port = free_port()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/bot.sqlite3", "WEB_PORT": str(port)}
    process, _line = await start_run(env)
    page = await browser.new_page(locale="de-DE")
    try:
        await page.goto(f"http://127.0.0.1:{port}/")
        await wait_for(page, de(WELCOME))
        await choose(page, "Deutsch")
        await wait_for(page, de(CITY_QUESTION))
        await choose(page, city("aalen"))
        await wait_for(page, de("What would you like to do?"))

        # SIGTERM while the resident types: the page says so at once and keeps the text
        await page.locator("#message").fill("/hel")
        process.send_signal(signal.SIGTERM)
        await page.locator("#status", has_text="Verbindung unterbrochen").wait_for(timeout=10_000)
        assert await page.locator("#menu button:enabled").count() == 0, "no button can be pressed offline"
        assert await page.locator("#message").input_value() == "/hel"
        await asyncio.wait_for(process.communicate(), 30)
        await page.locator("#message").press("End")
        await page.keyboard.type("p")
        await page.keyboard.press("Enter")  # sent while the bot is down: queued in the page

        process, _line = await start_run(env)
        await page.locator("#status", has_text="Verbunden").wait_for(timeout=15_000)
        await wait_for(page, de("These commands work at any time:"))
        await page.locator("#menu button:enabled").first.wait_for()

        # SIGKILL right after a press: after the restart it is answered exactly once
        await page.locator("#menu button", has_text=de("Ideas by topic")).click()
        process.kill()
        await process.communicate()
        await page.locator("#status", has_text="Verbindung unterbrochen").wait_for(timeout=10_000)
        process, _line = await start_run(env)
        await page.locator("#status", has_text="Verbunden").wait_for(timeout=15_000)
        await wait_for(page, de("Topics"))
        await page.wait_for_timeout(1_000)
        log = page.locator("#log .message")
        assert await log.filter(has_text="Diese Befehle funktionieren jederzeit").count() == 1
        assert await log.filter(has_text=de("Topics")).count() == 1
        assert await page.locator("#log .message.you").filter(has_text="/help").count() == 1
        assert await page.evaluate("sessionStorage.getItem('mitmach.pending')") == "[]"
    finally:
        await page.close()
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.communicate(), 15)


async def test_the_page_speaks_the_residents_language_and_tells_switch_states(browser: Any, server_url: str) -> None:
    page = await browser.new_page(locale="de-DE")
    await page.goto(server_url)
    await wait_for(page, de(WELCOME))
    assert await page.locator('#log p[lang="en"]').inner_text() == (en(WELCOME)), (
        "the English line of the German page is marked as English"
    )
    await choose(page, "English")
    await wait_for(page, en(CITY_QUESTION))
    assert await page.evaluate("document.documentElement.lang") == "en"
    assert (await page.title()).startswith("Mitmach-Bot – ")
    assert (
        en("Chat with the Mitmach-Bot: discover the smart-city strategy, browse and support ideas, submit your own.")
        in await page.locator("#intro").inner_text()
    )
    assert await page.locator("#log-heading").inner_text() == en("Conversation")
    await choose(page, city("aalen"))
    await wait_for(page, en("What would you like to do?"))
    await choose(page, en("Settings"))
    await choose(page, en("News subscriptions"))
    await wait_for(page, en("Choose what we may tell you about. Press again to end a subscription."))
    switches = page.locator("#menu button[aria-pressed]")
    assert await switches.count() >= 2
    first = switches.first
    assert await first.get_attribute("aria-pressed") == "false"
    name = await first.inner_text()
    await first.click()
    await wait_for(page, "You receive")
    toggled = page.locator("#menu button[aria-pressed]").filter(has_text=name[2:])
    await page.locator("#menu button[aria-pressed='true']").first.wait_for()
    assert await toggled.get_attribute("aria-pressed") == "true"
    assert await axe_violations(page) == []


async def test_arabic_reads_right_to_left_without_wcag_violations(
    browser: Any, server_url: str, engine: Engine, store: Store
) -> None:
    """A browser that asks for Arabic: Arabic is offered first, and the page and each message read right to left."""
    from tests.helpers import seed_idea

    approve(store, seed_idea(store, "Echtzeit-Fahrgastinformation an 12 Haltestellen!"))
    arabic = engine.languages.get("ar")

    def _(message: str) -> str:  # as the page shows it: Latin words in Arabic text isolated
        return isolate_runs(arabic.gettext(message), rtl=True)

    content = engine.content
    page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="ar")
    await page.goto(server_url)
    await wait_for(page, _("Welcome to the Mitmach-Bot! Please choose your language."))
    assert await page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    assert await page.locator("#menu button").first.inner_text() == "العربية", "the browser's language comes first"
    assert await axe_violations(page) == []
    await choose(page, "العربية")
    await wait_for(page, _("Which city do you live in, or which one do you care about most?"))
    await choose(page, content.text(content.cities[0].name, "ar"))
    await wait_for(page, _("What would you like to do?"))
    await choose(page, _("Ideas by topic"))
    await wait_for(page, _("Choose a topic to see its ideas or to add your own."))
    await choose(page, content.text(content.handlungsfelder[0].title, "ar"))
    await choose(page, _("Show ideas"))
    await wait_for(page, _("Page {page} of {pages}, sorted by support. Choose an idea to read it and support it.")[:6])
    last = page.locator("#log .message.bot").last
    assert [await last.get_attribute("lang"), await last.get_attribute("dir")] == ["ar", "rtl"]
    assert await page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    title = page.locator("#menu button").filter(has_text="Echtzeit-Fahrgastinformation")
    assert await title.get_attribute("dir") == "auto", "a Latin title in an Arabic menu keeps its own direction"
    assert await axe_violations(page) == []
    await page.screenshot(path=str(DOCS / "web-chat-arabic.png"), full_page=False)
    await page.close()


def embedding_page(chat_url: str) -> str:
    return (
        '<!doctype html><html lang="de"><head><title>Stadt Musterstadt</title></head><body><main>'
        "<h1>Mitmachen</h1>"
        f'<iframe src="{chat_url}" title="Mitmach-Bot" width="400" height="700"></iframe>'
        "</main></body></html>"
    )


async def test_the_chat_is_framed_only_where_the_town_allows_it(
    browser: Any, server_url: str, other_site: OtherSite
) -> None:
    other_site.html = embedding_page(server_url)
    page = await browser.new_page(locale="de-DE")
    await page.goto(other_site.url)
    await page.wait_for_timeout(1_000)
    framed = page.frames[1]
    assert await framed.locator("#chat").count() == 0, "without WEB_FRAME_ANCESTORS no site may frame the chat"
    await page.close()


async def test_the_chat_in_a_towns_iframe(browser: Any, engine: Engine, other_site: OtherSite) -> None:
    async with serving(engine, frame_ancestors=(other_site.url,)) as chat_url:
        other_site.html = embedding_page(chat_url)
        context = await browser.new_context(locale="de-DE")
        page = await context.new_page()
        await page.goto(other_site.url)
        chat = page.frame_locator("iframe")
        await chat.locator("#log .message.bot").filter(has_text=de(WELCOME)).wait_for()
        await chat.locator("#menu button", has_text="Deutsch").click()
        await chat.locator("#log .message.bot").filter(has_text=de(CITY_QUESTION)).wait_for()
        frame = page.frames[1]
        assert await axe_violations(frame) == []
        cookie = next(c for c in await context.cookies() if c["name"] == "mitmach_session")
        assert cookie["sameSite"] == "None" and cookie["secure"], cookie

        # the dashboard is never framed, even where the chat may be
        other_site.html = embedding_page(chat_url + "dashboard")
        await page.goto(other_site.url)
        await page.wait_for_timeout(1_000)
        blocked = page.frames[1]
        assert await blocked.get_by_text("Smart-City-Büros").count() == 0, blocked.url
        await context.close()


async def test_a_refused_cookie_is_explained_in_the_iframe(browser: Any, engine: Engine, other_site: OtherSite) -> None:
    async with serving(engine, frame_ancestors=(other_site.url,)) as chat_url:
        other_site.html = embedding_page(chat_url)
        page = await browser.new_page(locale="de-DE")

        async def refuse_cookie(route: Any) -> None:  # what a browser blocking all third-party cookies does
            response = await route.fetch()
            headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
            await route.fulfill(response=response, headers=headers)

        await page.route(chat_url, refuse_cookie)
        await page.goto(other_site.url)
        chat = page.frame_locator("iframe")
        await chat.locator("#status", has_text="eingebetteten Chat kein Cookie").wait_for()
        link = chat.get_by_role("link", name=de("Open the chat in a window of its own"))
        assert await link.get_attribute("target") == "_blank"
        assert await link.get_attribute("href") == chat_url
        assert await axe_violations(page.frames[1]) == []
        await page.close()
