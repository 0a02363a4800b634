"""The `newswatch` command: `run` starts the bot, `scan` shows what it would alert, offline too.

With no sub-command it runs the bot when a token is configured, and otherwise shows a dry run on
the sample feed shipped in the package, so a first try does something useful. Every
configuration problem ends the program with one sentence and exit code 2, never a traceback;
a scan that could read none of its sources ends with one sentence naming them and exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings, read_environment, settings_help
from bot.logs import setup_logging
from bot.scan import ScanError, SourcesFailed, parse_keywords, scan
from watchers.feeds.catalog import SAMPLE_FEED

__all__ = ["main"]

logger = logging.getLogger(__name__)

EXIT_CONFIG = 2
EXIT_NOTHING_READ = 1  # scan: every source failed, so "no matches" would mean nothing
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C
DEMO_KEYWORDS = "Lachin, Karabakh"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswatch",
        description="Watch the news for your keywords and get alerts in Telegram.",
        epilog="With no command: run the bot when TELEGRAM_BOT_TOKEN is set, else show a dry run "
        "on the bundled sample feed.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        help="start the bot (needs TELEGRAM_BOT_TOKEN)",
        description="Start the bot: poll the sources and answer commands until stopped.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan_parser = commands.add_parser(
        "scan", help="poll once without Telegram and print what would be alerted"
    )
    scan_parser.add_argument(
        "--keywords",
        metavar="LIST",
        help="comma-separated, as for /watch (default: the stored watchlists)",
    )
    scan_parser.add_argument(
        "--feed",
        metavar="URL_OR_FILE",
        action="append",
        default=[],
        help="a feed to read instead of the configured sources (repeatable)",
    )
    scan_parser.add_argument("--json", action="store_true", help="one JSON object per line")
    restore_parser = commands.add_parser(
        "restore-shard",
        help="put back a chat shard's previous copy (NN.json.bak) when start-up refuses the shard",
    )
    restore_parser.add_argument(
        "shard", type=Path, help="the refused shard, e.g. data/chats/2a.json"
    )
    return parser


async def _check_telegram(settings: Settings) -> str | None:
    """Ask Telegram who we are once before starting, so a bad token or URL is one sentence."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError, TelegramError

    ptb_logger = logging.getLogger("telegram")
    level = ptb_logger.level
    ptb_logger.setLevel(logging.CRITICAL)  # its tracebacks would bury the one sentence below
    try:
        async with Bot(settings.token or "", base_url=settings.api_base_url):
            return None
    except InvalidToken:  # PTB's own message quotes the token; this one does not
        return "Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather."
    except NetworkError:
        return (
            f"cannot reach the Telegram Bot API at {settings.api_base_url} "
            "(TELEGRAM_API_BASE_URL); check the network and try again."
        )
    except TelegramError as error:  # e.g. the URL answers, but not as a Bot API
        reason = str(error).replace(settings.token or "", "[REDACTED]")
        return f"the Bot API at {settings.api_base_url} (TELEGRAM_API_BASE_URL) answered: {reason}."
    finally:
        ptb_logger.setLevel(level)


def run(settings: Settings) -> int:
    """Start polling Telegram until interrupted; a start-up failure is one sentence, exit 2."""
    from bot.app import build_application
    from bot.store import StorageError, Store

    if settings.legacy_db_path is not None:
        logger.warning(
            "NEWSWATCH_DB_PATH is set (%s): it is imported once into the data directory %s; "
            "set NEWSWATCH_DATA_DIR instead",
            settings.legacy_db_path,
            settings.data_dir,
        )
    try:
        store = Store.open(settings.data_dir, legacy=settings.legacy_db_path)
    except StorageError as error:
        print(
            f"newswatch: NEWSWATCH_DATA_DIR {settings.data_dir} cannot be used: {error}.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        application = build_application(settings, store)
    except (OSError, ValueError) as error:  # an edited alias or source file that does not load
        print(f"newswatch: {error}", file=sys.stderr)
        return EXIT_CONFIG
    problem = asyncio.run(_check_telegram(settings))
    if problem:
        print(f"newswatch: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    logger.info("newswatch starting; data directory %s", settings.data_dir)
    application.run_polling(allowed_updates=["message", "channel_post", "callback_query"])
    return 0


def _scan(settings: Settings, keywords: str | None, feeds: Sequence[str], as_json: bool) -> int:
    try:
        chosen = parse_keywords(keywords) if keywords is not None else None
        asyncio.run(
            scan(
                settings,
                keywords=chosen,
                feeds=feeds,
                as_json=as_json,
                out=sys.stdout,
                err=sys.stderr,
            )
        )
    except ScanError as error:
        print(f"newswatch scan: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except SourcesFailed as error:
        print(f"newswatch scan: {error}", file=sys.stderr)
        return EXIT_NOTHING_READ
    except KeyboardInterrupt:
        print("newswatch scan: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


def _restore_shard(shard: Path) -> int:
    from bot.store import StorageError, restore_shard

    try:
        print(f"newswatch restore-shard: {restore_shard(shard)}.")
    except (StorageError, OSError) as error:
        print(f"newswatch restore-shard: {error}.", file=sys.stderr)
        return EXIT_CONFIG
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m bot`."""
    args = _parser().parse_args(argv)
    if args.command == "restore-shard":  # needs no settings, so a broken .env does not block it
        return _restore_shard(args.shard)
    env_file = Path(".env")
    try:
        settings = load_settings(
            read_environment(os.environ, env_file),
            require_token=args.command == "run",
            env_file=env_file,
        )
    except ConfigError as error:
        print(f"newswatch: {error}", file=sys.stderr)
        return EXIT_CONFIG
    undo_logging = setup_logging(settings.log_level, secrets=[settings.token, settings.llm_api_key])
    for warning in settings.warnings:
        logger.warning("%s", warning)
    try:
        if args.command == "scan":
            return _scan(settings, args.keywords, args.feed, args.json)
        if args.command is None and settings.token is None:
            print(
                "newswatch: TELEGRAM_BOT_TOKEN is not set, so here is a dry run on the bundled "
                f"sample feed for {DEMO_KEYWORDS!r}.\nPut a token from @BotFather in .env "
                "(see .env.example) to run the bot.\n",
                file=sys.stderr,
            )
            return _scan(settings, DEMO_KEYWORDS, [str(SAMPLE_FEED)], as_json=False)
        return run(settings)
    finally:
        undo_logging()
