"""Command line: ``python -m bot run | console | db upgrade | db backup FILE | content check PATH``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import logs
from bot.adapters.console import ConsoleAdapter
from bot.app import build_engine, load_checked_content
from bot.broadcasting.service import BroadcastService
from bot.broadcasting.transport import Transport
from bot.config import ConfigError, Settings, load_settings
from bot.delivery import Delivery
from bot.idea_commands import ideas_command, load_demo
from bot.ideas import ImportFileError
from bot.metrics import Metrics, start_listener
from bot.reply_outbox import ReplyOutbox
from bot.retention import RetentionJob
from bot.web.clients import NewSessionLimit
from bot.web.server import WebTransport, create_app, watch_loop
from dialogs.content import ContentError
from dialogs.i18n import CatalogError
from storage.backup import BackupError, backup_sqlite, postgres_advice, sqlite_path
from storage.database import DatabaseUrlError
from storage.migrate import upgrade
from storage.retention import Periods

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Mitmach-Bot for Aalen and Heidenheim")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot on every configured platform (always the web chat)")
    run.add_argument("--demo", action="store_true", help="load the example ideas into an empty store first")
    ideas = commands.add_parser("ideas", help="the Ideenspeicher: import and open-data export")
    idea_commands = ideas.add_subparsers(dest="ideas_command", required=True)
    importing = idea_commands.add_parser("import", help="import ideas from CSV or XLSX")
    importing.add_argument("file", type=Path)
    importing.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    exporting = idea_commands.add_parser("export", help="export published ideas as open data")
    exporting.add_argument("--format", choices=("csv", "json"), default="csv")
    exporting.add_argument("--output", type=Path, help="file to write (default: standard output)")
    console = commands.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--user", default=None, help="which resident you are (default: your login name)")
    db = commands.add_parser("db", help="database tasks")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all schema migrations")
    backup = db_commands.add_parser("backup", help="a consistent copy of the SQLite store, while the bot runs")
    backup.add_argument("file", type=Path, help="the new file to write (never overwritten)")
    content = commands.add_parser("content", help="content file tasks")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    check = content_commands.add_parser("check", help="validate a content file")
    check.add_argument("path", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        logs.configure(settings.log_level, settings.log_format)
        # transitions logs every callback at INFO: far too chatty for operators.
        logging.getLogger("transitions").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
        return _dispatch(args, settings)
    except (ConfigError, ContentError, CatalogError, DatabaseUrlError, ImportFileError, BackupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "content":
        settings.content_file = args.path
        content = load_checked_content(settings)
        print(
            f"{args.path}: ok ({len(content.cities)} cities, {len(content.leitziele)} Leitziele, "
            f"{len(content.zielbilder)} Zielbilder, {len(content.handlungsfelder)} Handlungsfelder, "
            f"languages {', '.join(content.languages)})"
        )
        return 0
    if args.command == "ideas":
        return ideas_command(args, settings)
    if args.command == "db" and args.db_command == "backup":
        return _backup(settings, args.file)
    if args.command == "db":
        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "console":
        return asyncio.run(_console(settings, args.user or _login_name()))
    if args.demo:
        load_demo(settings)
    return asyncio.run(_run(settings))


def _backup(settings: Settings, target: Path) -> int:
    source = sqlite_path(settings.database_url)
    if source is None:
        print(postgres_advice(settings.database_url), file=sys.stderr)
        return 2
    summary = backup_sqlite(source, target)
    print(
        f"backup written: {summary.path} ({summary.size:,} bytes; {summary.ideas:,} ideas, "
        f"{summary.votes:,} votes, {summary.residents:,} residents)"
    )
    return 0


def matrix_kwargs(settings: Settings) -> dict[str, Any]:
    """The Matrix adapter's settings; secrets are unwrapped only here."""
    if not settings.matrix_user:
        raise ConfigError("MATRIX_USER is needed with MATRIX_HOMESERVER (e.g. @mitmach:example.org)")
    password, token = settings.matrix_password, settings.matrix_access_token
    return {
        "homeserver": settings.matrix_homeserver,
        "user": settings.matrix_user,
        "password": password.get_secret_value() if password else None,
        "access_token": token.get_secret_value() if token else None,
        "store_path": settings.matrix_store_path,
    }


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "resident"


async def _console(settings: Settings, user: str) -> int:
    engine = build_engine(settings)
    try:
        await ConsoleAdapter(engine, user).run()
    finally:
        engine.close()
        engine.store.dispose()
    return 0


async def _run(settings: Settings) -> int:
    """Every configured platform on one engine; the web chat always, on WEB_HOST:WEB_PORT."""
    engine = build_engine(settings)
    delivery = Delivery()
    outbox = ReplyOutbox(engine.store, engine.worker, delivery)
    await outbox.hold()
    secret = settings.web_session_secret
    app = create_app(
        engine,
        public_url=settings.public_url,
        delivery=delivery,
        session_secret=secret.get_secret_value() if secret else None,
        new_sessions=NewSessionLimit(settings.web_sessions_per_hour),
        trusted_proxies=settings.trusted_proxies,
        template_dir=settings.web_template_dir,
    )
    telegram = None
    if settings.telegram_token:
        # aiogram takes seconds to import: only when Telegram is configured.
        from bot.adapters.telegram import TelegramAdapter, adapter_kwargs

        telegram = TelegramAdapter(engine, delivery=delivery, **adapter_kwargs(settings))
        telegram.add_routes(app)
    matrix = None
    if settings.matrix_homeserver:
        from bot.adapters.matrix import MatrixAdapter

        matrix = MatrixAdapter(engine, delivery=delivery, **matrix_kwargs(settings))
    metrics_runner = None
    if settings.metrics_port is not None:
        metrics = Metrics()
        engine.observe = metrics.event
        delivery.count = metrics.reply
        metrics.watch_store(engine.store)
        try:
            metrics_runner = await start_listener(metrics, settings.metrics_host, settings.metrics_port)
        except OSError as err:
            raise ConfigError(
                f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port} ({err.strerror}); "
                "set METRICS_HOST / METRICS_PORT to a free address"
            ) from err
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    except OSError as err:
        await runner.cleanup()
        raise ConfigError(
            f"cannot listen on {settings.web_host}:{settings.web_port} ({err.strerror}); "
            "set WEB_HOST / WEB_PORT to a free address"
        ) from err
    if telegram is not None:
        try:
            await telegram.start()
        except Exception as err:
            await runner.cleanup()
            raise ConfigError(
                f"Telegram did not accept the bot ({type(err).__name__}); check TELEGRAM_TOKEN and TELEGRAM_API_URL"
            ) from err
    if matrix is not None:
        try:
            await matrix.start()
        except Exception as err:
            if telegram is not None:
                await telegram.stop()
            await runner.cleanup()
            raise ConfigError(
                f"Matrix did not accept the bot ({err}); check MATRIX_HOMESERVER, MATRIX_USER and "
                "MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN"
            ) from err
    if telegram is not None:
        watch_loop(app, "telegram", telegram.alive)
    if matrix is not None:
        watch_loop(app, "matrix", matrix.alive)
    transports: list[Transport] = [WebTransport(app, settings.web_broadcast_rate)]
    if telegram is not None:
        transports.append(telegram.transport())
    if matrix is not None:
        transports.append(matrix.transport(settings.matrix_rate))
    broadcasts = BroadcastService(
        engine.store,
        engine.languages,
        transports,
        database_url=settings.database_url,
        concurrency=settings.broadcast_concurrency,
    )
    await broadcasts.start()
    await outbox.start()
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
    address = settings.public_url or f"http://{settings.web_host}:{settings.web_port}/"
    platforms = "web chat" + (f", Telegram @{telegram.username}" if telegram else "")
    platforms += f", Matrix {settings.matrix_user}" if matrix else ""
    print(f"Mitmach-Bot is running ({platforms}). Web chat: {address}  (Ctrl-C to stop)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        await stop.wait()
    finally:
        await retention.stop()
        await broadcasts.stop()
        if matrix is not None:
            await matrix.stop()
        if telegram is not None:
            await telegram.stop()
        await runner.cleanup()
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        # last: while this process holds its lock, no other one sends the replies it still has
        await outbox.stop()
        engine.close()
        engine.store.dispose()
    print("Mitmach-Bot stopped.")
    return 0
