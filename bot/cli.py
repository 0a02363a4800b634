"""The `newswatch` command: `run` starts the bot; with no sub-command it runs when it can.

Every configuration problem ends the program with one sentence and exit code 2, never a
traceback, so an operator sees at once which variable to fix.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings, read_environment
from bot.logs import setup_logging

__all__ = ["main"]

logger = logging.getLogger(__name__)

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswatch",
        description="Watch the news for your keywords and get alerts in Telegram.",
        epilog="With no command: run the bot when TELEGRAM_BOT_TOKEN is set, else show a dry run.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="start the bot (needs TELEGRAM_BOT_TOKEN)")
    return parser


def _settings(require_token: bool) -> Settings:
    return load_settings(read_environment(os.environ), require_token=require_token)


def run(settings: Settings) -> None:
    """Start polling Telegram until interrupted."""
    from bot.app import build_application
    from bot.storage import Store

    store = Store.open(settings.db_path)
    application = build_application(settings, store)
    logger.info("newswatch starting; database %s", settings.db_path)
    application.run_polling(allowed_updates=["message", "channel_post", "callback_query"])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m bot`."""
    args = _parser().parse_args(argv)
    try:
        settings = _settings(require_token=args.command == "run")
    except ConfigError as error:
        print(f"newswatch: {error}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings.log_level, secrets=[settings.token, settings.llm_api_key])
    if settings.token is None:
        print(
            "newswatch: TELEGRAM_BOT_TOKEN is not set, so the bot cannot connect to Telegram.\n"
            "Put a token from @BotFather in .env (see .env.example) and run `newswatch run`.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    run(settings)
    return 0
