"""The registry of platform adapters, and how a running bot is put together and taken apart.

Adding a platform: a folder under bot/adapters/ and one line in `PLATFORMS`
(docs/adding-a-platform.md). Nothing here or in bot/cli.py names a platform otherwise,
except the web chat, whose server (bot/web/server.py) every other adapter may add routes to.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Mapping
from functools import partial
from typing import Any

from aiohttp import web

from bot.adapters import matrix, telegram, whatsapp
from bot.adapters import web as web_chat
from bot.adapters.console.adapter import ConsoleAdapter
from bot.adapters.protocol import Adapter, Context, Platform, context_for
from bot.adapters.web.settings import WebSettings
from bot.app import build_engine, web_address
from bot.broadcasting.service import BroadcastService
from bot.config import ConfigError, Settings, load_all
from bot.delivery import Delivery
from bot.election import Elected
from bot.metrics import Metrics, start_listener
from bot.reply_outbox import ReplyOutbox
from bot.retention import RetentionJob
from bot.web.clients import NewSessionLimit
from bot.web.server import create_app, watch_loop
from dialogs.engine import Engine
from storage.retention import Periods

log = logging.getLogger("bot")

PLATFORMS: tuple[Platform, ...] = (
    web_chat.ENTRY,  # first: it serves the web server that others add routes to; stopped last
    telegram.ENTRY,
    matrix.ENTRY,
    whatsapp.ENTRY,
)

PlatformSettings = Mapping[str, Any]


def load_configuration() -> tuple[Settings, PlatformSettings]:
    """The bot's settings and every platform's, each problem of them all named in one error."""
    loaded = load_all(Settings, *(platform.settings for platform in PLATFORMS))
    settings = loaded[0]
    assert isinstance(settings, Settings)
    return settings, {platform.name: found for platform, found in zip(PLATFORMS, loaded[1:], strict=True)}


async def console(settings: Settings, user: str) -> int:
    """One resident in this terminal, on the configured store."""
    engine = build_engine(settings)
    try:
        await ConsoleAdapter(context_for(engine), user).run()
    finally:
        engine.close()
        engine.store.dispose()
    return 0


def _web_server(engine: Engine, context: Context, server: WebSettings) -> web.Application:
    secret = server.session_secret
    return create_app(
        engine,
        public_url=context.public_url,
        context=context,
        session_secret=secret.get_secret_value() if secret else None,
        new_sessions=NewSessionLimit(server.sessions_per_hour),
        trusted_proxies=server.proxies,
        template_dir=server.template_dir,
        frame_ancestors=server.framing_origins,
        site_links=server.site_links,
    )


async def _start_metrics(settings: Settings, engine: Engine, delivery: Delivery) -> web.AppRunner | None:
    if settings.metrics_port is None:
        return None
    metrics = Metrics()
    engine.observe = metrics.event
    delivery.count = metrics.reply
    metrics.watch_store(engine.store)
    try:
        return await start_listener(metrics, settings.metrics_host, settings.metrics_port)
    except OSError as err:
        raise ConfigError(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port} ({err.strerror}); "
            "set METRICS_HOST / METRICS_PORT to a free address"
        ) from err


@contextlib.asynccontextmanager
async def _started(built: list[tuple[Platform, Any, Adapter]]) -> AsyncIterator[list[Adapter]]:
    """Start the adapters in registry order; stop them in reverse, also when one of them fails to start."""
    started: list[Adapter] = []
    try:
        for platform, settings, adapter in built:
            try:
                await adapter.start()
            except Exception as err:
                raise ConfigError(platform.refused(settings, err)) from err
            started.append(adapter)
        yield started
    finally:
        for adapter in reversed(started):
            await adapter.stop()


async def run(settings: Settings, platforms: PlatformSettings) -> int:
    """Every configured platform on one engine; the web chat always, on WEB_HOST:WEB_PORT."""
    engine = build_engine(settings)
    delivery = Delivery()
    outbox = ReplyOutbox(engine.store, engine.worker, delivery)
    await outbox.hold()  # before the web server takes its first event
    metrics_runner = None
    try:
        context = context_for(engine, delivery, public_url=settings.public_url)
        context.workers = settings.workers
        server = _web_server(engine, context, platforms[web_chat.PLATFORM])
        configured = [platform for platform in PLATFORMS if platform.configured(platforms[platform.name])]
        elected = [platform for platform in configured if platform.single and settings.workers > 1]
        built = [
            (platform, platforms[platform.name], platform.build(context, platforms[platform.name]))
            for platform in configured
            if platform not in elected
        ]
        metrics_runner = await _start_metrics(settings, engine, delivery)
        async with _started(built) as adapters:
            for adapter in adapters:
                if adapter.alive() is not None:
                    watch_loop(server, adapter.platform, partial(_receiving, adapter))
            standing_by = [(platform, platforms[platform.name]) for platform in elected]
            await _serve(settings, engine, outbox, adapters, _Elections(context, settings, server, standing_by))
    finally:
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        # last: while this process holds its lock, no other one sends the replies it still has
        await outbox.stop()
        engine.close()
        engine.store.dispose()
    print("Mitmach-Bot stopped.", flush=True)
    return 0


class _Elections:
    """The platforms only one worker may run (bot/election.py), once the broadcasts run."""

    def __init__(
        self, context: Context, settings: Settings, server: web.Application, platforms: list[tuple[Platform, Any]]
    ) -> None:
        self.context = context
        self.settings = settings
        self.server = server
        self.platforms = platforms
        self.running: list[Elected] = []

    def start(self, broadcasts: BroadcastService) -> None:
        async def taken_up(adapter: Adapter) -> None:
            broadcasts.add(adapter.transport())

        async def stepped_down(adapter: Adapter) -> None:
            await broadcasts.remove(adapter.platform)

        for platform, settings in self.platforms:
            elected = Elected(
                platform, settings, self.context, self.settings.database_url, on_start=taken_up, on_stop=stepped_down
            )
            elected.start()
            watch_loop(self.server, platform.name, elected.alive)
            self.running.append(elected)

    async def stop(self) -> None:
        for elected in reversed(self.running):
            await elected.stop()


def _receiving(adapter: Adapter) -> bool:
    return bool(adapter.alive())


async def _serve(
    settings: Settings, engine: Engine, outbox: ReplyOutbox, adapters: list[Adapter], elections: _Elections
) -> None:
    """Broadcasts, kept replies and retention run beside the adapters until SIGINT or SIGTERM."""
    broadcasts = BroadcastService(
        engine.store,
        engine.languages,
        [adapter.transport() for adapter in adapters],
        database_url=settings.database_url,
        concurrency=settings.broadcast_concurrency,
    )
    await broadcasts.start()
    elections.start(broadcasts)
    await outbox.start()  # once the adapters can send
    retention = RetentionJob(
        engine.store,
        Periods(
            action_token_days=settings.action_token_days,
            notice_days=settings.notice_retention_days,
            message_days=settings.message_retention_days,
            web_resident_days=settings.web_resident_retention_days,
        ),
        database_url=settings.database_url,
        interval=settings.retention_interval_minutes * 60.0,
    )
    await retention.start()
    # Everything loaded so far lives as long as the process. A full garbage collection would
    # scan those ~250,000 objects for 140 ms, stalling every chat and send; frozen, it skips them.
    gc.freeze()
    names = ", ".join(adapter.describe() for adapter in adapters)
    address = settings.public_url or web_address(settings) + "/"
    print(f"Mitmach-Bot is running ({names}). Web chat: {address}  (Ctrl-C to stop)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        await stop.wait()
    finally:
        await retention.stop()
        await elections.stop()
        await broadcasts.stop()
