"""The page and the dashboard come from templates: every value is escaped, and a town can restyle them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import ConfigError
from bot.web.clients import NewSessionLimit
from bot.web.server import SECURITY_HEADERS
from bot.web.site import SiteLinks
from bot.wiring import load_configuration
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity
from storage.store import Store
from tests.chat import Chat
from tests.test_dashboard import link_from, make_staff, sign_in
from tests.web_helpers import web_client

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(2)>'


@pytest.fixture
def hostile_content(content: Content) -> Content:
    """The content file a careless (or compromised) editor wrote: markup in names and titles."""
    fields = [content.handlungsfelder[0].model_copy(update={"title": {"de": f"Mobilität {SCRIPT}", "en": SCRIPT}})]
    cities = [content.cities[0].model_copy(update={"name": {"de": f"Aalen {IMAGE}", "en": IMAGE}})]
    return content.model_copy(
        update={
            "name": {"de": f"Musterstadt {SCRIPT}", "en": SCRIPT},
            "handlungsfelder": fields + content.handlungsfelder[1:],
            "cities": cities + content.cities[1:],
        }
    )


@pytest.fixture
def hostile_engine(hostile_content: Content, languages: Languages, store: Store) -> Iterator[Engine]:
    engine = Engine(
        hostile_content, languages, store, admins=[Identity("test", "admin")], web_base_url="http://bot.test"
    )
    yield engine
    engine.close()


def assert_no_markup_from_values(html: str) -> None:
    assert SCRIPT not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


async def test_the_chat_page_escapes_the_town_name(hostile_engine: Engine) -> None:
    async with web_client(hostile_engine, new_sessions=NewSessionLimit(per_hour=1)) as client:
        for status in (200, 429):  # the chat, then the page that refuses a second new chat
            client.session.cookie_jar.clear()
            page = await client.get("/", headers={"Accept-Language": "de"})
            assert page.status == status
            html = await page.text()
            assert_no_markup_from_values(html)
            assert "<title>Mitmach-Bot – Musterstadt &lt;script&gt;alert(1)&lt;/script&gt;</title>" in html


async def test_the_dashboard_escapes_titles_names_and_platforms(hostile_engine: Engine, store: Store) -> None:
    await Chat(hostile_engine, "x", platform=SCRIPT).says("/start")
    stefanie = await make_staff(hostile_engine, store)
    await stefanie.says("/dashboard")
    async with web_client(hostile_engine) as client:
        await sign_in(client, link_from(stefanie))
        page = await client.get("/dashboard", headers={"Accept-Language": "de"})
        assert page.status == 200
        html = await page.text()
    assert_no_markup_from_values(html)
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td>1</td>" in html, "the platform in the table"
    assert "<text x=" in html and "&lt;script&gt;alert(1)&lt;/script&gt;</text>" in html, "and in the charts"
    assert "Aalen &#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html


@pytest.fixture
def town_templates(tmp_path: Path) -> Path:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "town.css").write_text(":root { --accent: #6a1b9a; }\n", encoding="utf-8")
    (tmp_path / "chat_header.html").write_text(
        '<header class="town"><h1>{{ name }}</h1><p>Ein Angebot der Stadtverwaltung</p></header>\n',
        encoding="utf-8",
    )
    (tmp_path / "chat.html").write_text(
        '{% extends "default/chat.html" %}{% block body %}{{ super() }}<footer>Rathausplatz 1</footer>{% endblock %}',
        encoding="utf-8",
    )
    return tmp_path


async def test_a_town_overrides_single_templates_and_adds_its_stylesheet(engine: Engine, town_templates: Path) -> None:
    async with web_client(engine, template_dir=town_templates) as client:
        html = await (await client.get("/", headers={"Accept-Language": "de"})).text()
        assert '<header class="town">' in html and "Ein Angebot der Stadtverwaltung" in html
        assert "<footer>Rathausplatz 1</footer>" in html, "a town's template extends the bot's own"
        assert 'id="composer"' in html, "what the town did not override stays"
        assert '<link rel="stylesheet" href="/static/town/town.css">' in html
        css = await client.get("/static/town/town.css")
        assert css.status == 200 and "--accent: #6a1b9a" in await css.text()
        assert (await client.get("/static/town/../chat.html")).status in (403, 404)


async def test_without_a_town_folder_no_town_stylesheet_is_linked(engine: Engine) -> None:
    async with web_client(engine) as client:
        html = await (await client.get("/")).text()
        assert "town.css" not in html
        assert (await client.get("/static/town/town.css")).status == 404


LINKS = SiteLinks(
    imprint="https://www.musterstadt.de/impressum",
    privacy="https://www.musterstadt.de/datenschutz",
    accessibility="https://www.musterstadt.de/barrierefreiheit",
    feedback_email="barrierefreiheit@musterstadt.de",
)


async def test_every_page_links_imprint_privacy_and_accessibility(engine: Engine) -> None:
    async with web_client(engine, site_links=LINKS) as client:
        chat = await (await client.get("/", headers={"Accept-Language": "de"})).text()
        refused = await (await client.get("/dashboard", headers={"Accept-Language": "de"})).text()
        for html in (chat, refused):
            assert '<a href="https://www.musterstadt.de/impressum" data-text="imprint">Impressum</a>' in html
            assert '<a href="https://www.musterstadt.de/datenschutz" data-text="privacy">Datenschutz</a>' in html
            assert ">Erklärung zur Barrierefreiheit</a>" in html
            assert (
                '<span data-text="feedback">Barriere melden:</span> '
                '<a href="mailto:barrierefreiheit@musterstadt.de">barrierefreiheit@musterstadt.de</a>' in html
            )
        assert 'data-imprint="Impressum"' in chat, "the page can switch the footer's language"
        english = await (await client.get("/", headers={"Accept-Language": "en"})).text()
        assert ">Imprint</a>" in english and ">Accessibility statement</a>" in english
    async with web_client(engine) as client:
        assert "site-footer" not in await (await client.get("/")).text(), "no settings, no empty footer"


async def test_the_towns_logo_and_colours_come_from_the_content_file(
    content: Content, languages: Languages, store: Store, tmp_path: Path
) -> None:
    logo = tmp_path / "wappen.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"/>', encoding="utf-8")
    site = content.site.model_copy(update={"logo": str(logo), "logo_alt": {"de": "Wappen", "en": "Arms"}})
    engine = Engine(content.model_copy(update={"site": site}), languages, store)
    try:
        async with web_client(engine) as client:
            html = await (await client.get("/", headers={"Accept-Language": "de"})).text()
            assert '<img id="logo" class="logo" src="/logo" alt="Wappen">' in html
            assert '<link rel="stylesheet" href="/site.css">' in html
            image = await client.get("/logo")
            assert image.status == 200 and image.content_type == "image/svg+xml"
            assert image.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
            css = await (await client.get("/site.css")).text()
            assert "@media (prefers-color-scheme: light) { :root { --accent: #0b4f8a; } }" in css
            assert "@media (prefers-color-scheme: dark) { :root { --accent: #8cc4ff; } }" in css
    finally:
        engine.close()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SITE_IMPRINT_URL", "javascript:alert(1)", "expected an address starting with https://"),
        ("SITE_PRIVACY_URL", "www.musterstadt.de/datenschutz", "expected an address starting with https://"),
        ("SITE_FEEDBACK_EMAIL", "barrierefreiheit(at)musterstadt.de", "expected an e-mail address"),
    ],
)
def test_site_settings_are_checked(monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_configuration()
    assert f"{name}: " in str(refused.value) and expected in str(refused.value)
