"""The web chat as a town's service, in a real browser: legal links, logo, print, a saved
transcript, the dark scheme, and a layout that keeps what matters in view on every screen.

Runs like tests/test_web_browser.py (Chromium, Playwright, axe-core) and skips where they are missing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.web.site import SiteLinks
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from storage.store import Store
from tests.helpers import approve, seed_idea
from tests.test_web_browser import (
    DOCS,
    axe_violations,
    browser,
    choose,
    pytestmark,
    serving,
    type_answer,
    wait_for,
)
from tests.texts import (
    ASK_DESCRIPTION,
    ASK_TITLE,
    CITY_QUESTION,
    IDEA_PAGE,
    WELCOME,
    city,
    de,
    de_start,
    en,
    field_button,
)

__all__ = ["browser", "pytestmark"]  # the browser fixture and the skip reason, shared

LINKS = SiteLinks(
    imprint="https://www.musterstadt.de/impressum",
    privacy="https://www.musterstadt.de/datenschutz",
    accessibility="https://www.musterstadt.de/barrierefreiheit",
    feedback_email="barrierefreiheit@musterstadt.de",
)
LONG_WORD = "Digitalinfrastrukturbeschleunigungsprogrammverwaltung"
"""A topic whose title is one long word, as German makes them."""


@pytest.fixture
def town_engine(content: Content, languages: Languages, store: Store, tmp_path: Path) -> Iterator[Engine]:
    """The shipped content with a logo, and a topic whose title is one long word."""
    logo = tmp_path / "wappen.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40">'
        '<rect width="40" height="40" fill="#0b4f8a"/></svg>',
        encoding="utf-8",
    )
    site = content.site.model_copy(update={"logo": str(logo), "logo_alt": {"de": "Wappen", "en": "Arms"}})
    long = content.handlungsfelder[7].model_copy(update={"title": {"de": LONG_WORD, "en": LONG_WORD}})
    town = content.model_copy(update={"site": site, "handlungsfelder": [*content.handlungsfelder[:7], long]})
    engine = Engine(town, languages, store)
    yield engine
    engine.close()


@pytest.fixture
async def town_url(town_engine: Engine) -> AsyncIterator[str]:
    async with serving(town_engine, site_links=LINKS) as url:
        yield url


async def to_the_menu(page: Any, url: str) -> None:
    await page.goto(url)
    await wait_for(page, de(WELCOME))
    await choose(page, "Deutsch")
    await wait_for(page, de(CITY_QUESTION))
    await choose(page, city("aalen"))
    await wait_for(page, de("What would you like to do?"))


async def to_the_description(page: Any, url: str) -> None:
    await to_the_menu(page, url)
    await choose(page, de("Submit an idea"))
    await wait_for(page, de("You will be asked for:"))
    await choose(page, de("I agree, let's start"))
    await wait_for(page, de_start(ASK_TITLE))
    await type_answer(page, "Freie Parkplätze in Echtzeit")
    await wait_for(
        page,
        de_start(ASK_DESCRIPTION),
    )


async def test_footer_logo_favicon_print_and_a_saved_transcript(browser: Any, town_url: str) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE")
    await to_the_menu(page, town_url)
    footer = page.locator("#site-footer")
    assert await footer.get_by_role("link", name=de("Imprint")).get_attribute("href") == LINKS.imprint
    assert await footer.get_by_role("link", name=de("Privacy")).is_visible()
    assert await footer.get_by_role("link", name=de("Accessibility statement")).is_visible()
    mail = footer.get_by_role("link", name="barrierefreiheit@musterstadt.de")
    assert await mail.get_attribute("href") == "mailto:barrierefreiheit@musterstadt.de"
    assert await page.get_by_role("img", name="Wappen").evaluate("image => image.naturalWidth > 0")
    icon = await page.locator("link[rel=icon]").get_attribute("href")
    assert (await page.request.get(town_url + icon.lstrip("/"))).status == 200
    assert await axe_violations(page) == []

    await page.emulate_media(media="print")
    assert not await page.locator("#menu").is_visible() and not await page.locator("#composer").is_visible()
    assert await page.locator("#log .message").filter(has_text=de("What would you like to do?")).is_visible()
    await page.emulate_media(media="screen")

    async with page.expect_download() as info:
        await page.get_by_role("button", name=de("Save the conversation")).click()
    download = await info.value
    assert download.suggested_filename == "mitmach-bot-gespraech.txt"
    text = Path(await download.path()).read_text(encoding="utf-8")
    heading = "Mitmach-Bot – Smart Cities Aalen und Heidenheim\nGespräch mit dem Mitmach-Bot, gespeichert am"
    assert text.startswith(heading), text
    assert "] Sie:\nDeutsch\n" in text and "] Sie:\nAalen\n" in text, text
    assert "] Mitmach-Bot:\nIn welcher Stadt wohnen Sie, oder" in text and "\nWas möchten Sie tun?\n" in text, text

    await choose(page, de("Settings"))
    await choose(page, "Sprache")
    await choose(page, "English")
    await wait_for(page, en("Language: {language}", language="English"))
    assert await footer.get_by_role("link", name=en("Imprint")).is_visible(), "the footer follows the language"
    assert await page.get_by_role("button", name=en("Save the conversation")).is_visible()
    await page.close()


async def test_the_dark_scheme_keeps_the_contrast(browser: Any, town_url: str, store: Store) -> None:
    for title in ("Echtzeit-Fahrgastinformation an Haltestellen", "Freie Parkplätze in Echtzeit anzeigen"):
        approve(store, seed_idea(store, title))
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE", color_scheme="dark")
    page = await context.new_page()
    await page.goto(town_url)
    await wait_for(page, de(WELCOME))
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 18, 18)"
    assert await axe_violations(page) == []
    await choose(page, "Deutsch")
    await wait_for(page, de(CITY_QUESTION))
    await choose(page, city("aalen"))
    await wait_for(page, de("What would you like to do?"))
    await choose(page, de("Ideas by topic"))
    await wait_for(page, de("Topics"))
    await choose(page, field_button("mobilitaet"))
    await wait_for(page, "Bus, Rad, Auto")
    await choose(page, de("Show ideas"))
    await wait_for(page, de_start(IDEA_PAGE))
    assert await axe_violations(page) == []
    await page.screenshot(path=str(DOCS / "web-chat-dark.png"), full_page=False)
    await context.close()


async def in_view(page: Any, selector: str) -> dict[str, float]:
    return dict(
        await page.locator(selector).last.evaluate(
            "node => { const r = node.getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom, height: innerHeight}; }"
        )
    )


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
async def test_the_field_and_the_newest_message_stay_in_view(
    browser: Any, town_url: str, viewport: dict[str, int]
) -> None:
    page = await browser.new_page(viewport=viewport, locale="de-DE")
    await to_the_description(page, town_url)
    await page.wait_for_timeout(300)
    assert await page.evaluate("document.activeElement.id") == "message"
    field = await in_view(page, "#message")
    assert field["top"] >= 0 and field["bottom"] <= field["height"], f"the text field is in view: {field}"
    newest = await in_view(page, "#log .message")
    composer = await in_view(page, "#composer")
    assert 0 <= newest["top"] < composer["top"], f"the newest message shows above the field: {newest}, {composer}"
    assert await page.evaluate("document.documentElement.scrollHeight > innerHeight"), "the page did scroll"
    await page.close()


@pytest.mark.parametrize("width", [320, 390])
async def test_a_long_one_word_label_wraps(browser: Any, town_url: str, width: int) -> None:
    page = await browser.new_page(viewport={"width": width, "height": 640}, locale="de-DE")
    await to_the_menu(page, town_url)
    await choose(page, de("Ideas by topic"))
    await wait_for(page, de("Topics"))
    long = page.locator("#menu button", has_text=LONG_WORD[:20])
    await long.wait_for()
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "no sideways scrolling"
    assert await long.evaluate("b => b.scrollWidth <= b.clientWidth && b.getBoundingClientRect().right <= innerWidth")
    assert await long.evaluate("b => b.getBoundingClientRect().height > 60"), "the word wraps onto lines of its own"
    await page.close()


async def test_a_too_long_description_stays_in_the_field_with_a_count(browser: Any, town_url: str) -> None:
    page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="de-DE")
    await to_the_description(page, town_url)
    count = page.locator("#count")
    assert await count.inner_text() == "0 von 1.000 Zeichen"
    spoken = page.locator("#count-spoken")
    long = "Eine Anzeige am Ortseingang zeigt freie Parkplätze. " * 21
    await page.locator("#message").fill(long)
    length = len(long.strip())
    assert await count.inner_text() == (
        f"{length:,} von 1.000 Zeichen: Bitte kürzen Sie Ihren Text um {length - 1000} Zeichen.".replace(",", ".")
    )
    assert await spoken.inner_text() == "", "nothing is announced while the resident types"
    await page.keyboard.press("Enter")
    assert await page.locator("#message").input_value() == long, "the text stays in the field"
    assert await page.locator("#message").get_attribute("aria-invalid") == "true"
    assert "Bitte kürzen Sie Ihren Text" in await spoken.inner_text(), "and the count is announced"
    assert await page.locator("#log .message.you").filter(has_text="Eine Anzeige am Ortseingang").count() == 0

    shorter = long[:900]
    await page.locator("#message").fill(shorter)
    assert await count.inner_text() == f"{len(shorter.strip())} von 1.000 Zeichen"
    await page.keyboard.press("Enter")
    await wait_for(page, de("Which topic does your idea belong to?"))
    assert await count.is_hidden(), "no count where the bot asks no text"
    await page.close()
