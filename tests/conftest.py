"""Shared fixtures: content, a migrated store on SQLite (and on PostgreSQL when reachable), an engine."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.adapters.protocol import context_for
from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.settings import TelegramSettings
from bot.delivery import Delivery
from dialogs.content import Content, load_content
from dialogs.engine import Engine
from dialogs.i18n import Languages
from storage.migrate import upgrade
from storage.models import metadata
from storage.store import Store
from tests.chat import Chat
from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
CONTENT_FILE = ROOT / "content" / "aalen-heidenheim.yaml"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(CONTENT_FILE)


@pytest.fixture(scope="session")
def languages(content: Content) -> Languages:
    return Languages(content.languages)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite_template: Path) -> str:
    path = tmp_path / "bot.sqlite3"
    shutil.copy(migrated_sqlite_template, path)
    return f"sqlite:///{path}"


def _postgres_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=2):
            return None
    except Exception as err:  # any failure means: no server to test against here
        return f"PostgreSQL not reachable at {POSTGRES_URL} ({type(err).__name__}); set TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    import psycopg

    schema = f"mitmach_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def empty_postgres(schema_url: str) -> str:
    """Empty every table of the test schema (ids start at 1 again); returns its URL."""
    import psycopg

    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    schema = schema_url.rsplit("%3D", 1)[1]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return schema_url


@pytest.fixture
def postgres_url(postgres_schema_url: str) -> str:
    return empty_postgres(postgres_schema_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Each store test runs on both engines; PostgreSQL skips where it is not reachable."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    store = Store(sqlite_url)
    yield store
    store.dispose()


@pytest.fixture
def engine(content: Content, languages: Languages, store: Store) -> Iterator[Engine]:
    engine = Engine(content, languages, store)
    yield engine
    engine.close()


@pytest.fixture
def erika(engine: Engine) -> Chat:
    return Chat(engine, "erika")


@pytest.fixture
def max_(engine: Engine) -> Chat:
    return Chat(engine, "max")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The local Bot API server, with room for a quick test's pace."""
    server = FakeTelegram(per_chat_rate=20, overall_rate=200)
    await server.start()
    yield server
    await server.stop()


def telegram_adapter(
    engine: Engine,
    fake: FakeTelegram,
    *,
    delivery: Delivery | None = None,
    http: web.Application | None = None,
    webhook_secret: str | None = None,
    overall_rate: float = 100.0,
    **options: Any,
) -> TelegramAdapter:
    """The Telegram adapter for the local Bot API server, at a quick test's pace unless `options` say otherwise."""
    settings = TelegramSettings(token=fake.token, api_url=fake.url, webhook_secret=webhook_secret, rate=overall_rate)
    context = context_for(engine, delivery, http=http)
    return TelegramAdapter(context, settings, **{"per_chat_rate": 10.0, "poll_timeout": 1, **options})


async def start_telegram(engine: Engine, fake: FakeTelegram, **options: Any) -> TelegramAdapter:
    """The Telegram adapter, started against the local Bot API server; `options` override the test pace."""
    adapter = telegram_adapter(engine, fake, **options)
    await adapter.start()
    return adapter


@pytest.fixture
async def polling(engine: Engine, fake: FakeTelegram) -> AsyncIterator[TelegramAdapter]:
    """The Telegram adapter, long-polling the local Bot API server."""
    adapter = await start_telegram(engine, fake)
    yield adapter
    await adapter.stop()
