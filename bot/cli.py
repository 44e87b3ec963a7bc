"""Command line: ``python -m bot run | console | ideas … | polls export | db … | content check PATH``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from pathlib import Path

from bot import logs, wiring, workers
from bot.app import load_checked_content
from bot.config import ConfigError, Settings
from bot.idea_commands import ideas_command, load_demo
from bot.ideas import ImportFileError
from bot.poll_export import polls_command
from dialogs.content import ContentError
from dialogs.i18n import CatalogError
from storage.backup import BackupError, backup_sqlite, postgres_advice, sqlite_path
from storage.database import DatabaseUrlError
from storage.migrate import upgrade

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Mitmach-Bot for Aalen and Heidenheim")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the bot on every configured platform (always the web chat)")
    run.add_argument("--demo", action="store_true", help="load the example ideas into an empty store first")
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        choices=range(1, 65),
        metavar="N",
        help="run N worker processes on one web port and one PostgreSQL (default 1)",
    )
    ideas = commands.add_parser("ideas", help="the Ideenspeicher: import and open-data export")
    idea_commands = ideas.add_subparsers(dest="ideas_command", required=True)
    importing = idea_commands.add_parser("import", help="import ideas from CSV or XLSX")
    importing.add_argument("file", type=Path)
    importing.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    exporting = idea_commands.add_parser("export", help="export published ideas as open data")
    exporting.add_argument("--format", choices=("csv", "json"), default="csv")
    exporting.add_argument("--output", type=Path, help="file to write (default: standard output)")
    polls = commands.add_parser("polls", help="quick polls: open-data export of the results")
    poll_commands = polls.add_subparsers(dest="polls_command", required=True)
    poll_export = poll_commands.add_parser("export", help="counts per option, city and platform (never who)")
    poll_export.add_argument("--format", choices=("csv", "json"), default="csv")
    poll_export.add_argument("--output", type=Path, help="file to write (default: standard output)")
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
        settings, platforms = wiring.load_configuration()
        logs.configure(settings.log_level, settings.log_format)
        # transitions logs every callback at INFO: far too chatty for operators.
        logging.getLogger("transitions").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
        return _dispatch(args, settings, platforms)
    except (ConfigError, ContentError, CatalogError, DatabaseUrlError, ImportFileError, BackupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings, platforms: wiring.PlatformSettings) -> int:
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
    if args.command == "polls":
        return polls_command(args, settings)
    if args.command == "db" and args.db_command == "backup":
        return _backup(settings, args.file)
    if args.command == "db":
        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "console":
        return asyncio.run(wiring.console(settings, args.user or _login_name()))
    if args.demo:
        load_demo(settings)
    if args.workers > 1:
        refused = workers.refusal(settings, platforms, args.workers)
        if refused is not None:
            raise ConfigError(refused)
        return asyncio.run(workers.run_workers(settings, args.workers, []))
    return asyncio.run(wiring.run(settings, platforms))


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


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "resident"
