"""Wiring: settings -> content, languages, store -> engine."""

from __future__ import annotations

import logging

from bot.adapters.web.settings import WebSettings
from bot.config import Settings, load
from dialogs.content import Content, ContentError, load_content
from dialogs.engine import Engine
from dialogs.i18n import Languages, available_languages
from storage.migrate import upgrade
from storage.store import EVENT_RETENTION, Store

log = logging.getLogger(__name__)


def load_checked_content(settings: Settings) -> Content:
    content = load_content(settings.content_file)
    missing = [code for code in content.languages if code not in available_languages()]
    if missing:
        raise ContentError(
            f"{settings.content_file}: field 'languages': no catalog for {missing} "
            f"(expected locales/<code>/LC_MESSAGES/messages.po for each language)"
        )
    return content


def web_address(settings: Settings) -> str:
    """Where residents reach the bot's web server (for links such as the dashboard login)."""
    if settings.public_url:
        return settings.public_url
    server = load(WebSettings)
    return f"http://{server.host}:{server.port}"


def build_engine(settings: Settings) -> Engine:
    content = load_checked_content(settings)
    if settings.db_auto_upgrade:
        upgrade(settings.database_url)
    store = Store(settings.database_url)
    pruned = store.run(lambda tx: tx.prune_events(store.now() - EVENT_RETENTION))
    log.info("store ready (%s), content %s, %d old event ids pruned", store.dialect, settings.content_file.name, pruned)
    return Engine(
        content,
        Languages(content.languages),
        store,
        admins=settings.admins,
        submission_limit=settings.submissions_per_day,
        action_token_days=settings.action_token_days,
        web_base_url=web_address(settings),
    )
