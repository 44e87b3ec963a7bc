"""The page and the dashboard come from templates: every value is escaped, and a town can restyle them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.web.clients import NewSessionLimit
from dialogs.content import Content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from dialogs.messages import Identity
from storage.store import Store
from tests.chat import Chat
from tests.test_dashboard import link_from, make_staff
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
        await client.get(link_from(stefanie))
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
