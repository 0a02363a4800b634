"""Builds the Telegram application: every handler, the command menu and the watchers."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.config import Settings
from bot.context import CONTEXT_TYPES
from bot.jobs import start_watchers
from bot.services import build_services
from bot.storage import Store
from handlers import admin, buttons, fallback, help, latest, subscription, watchlist
from handlers.commands import ADMIN_COMMANDS, COMMANDS

__all__ = ["build_application"]

logger = logging.getLogger(__name__)


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Publish the command menu (admins also see their commands) and start the watchers."""
    services = application.bot_data.services
    await application.bot.set_my_commands([BotCommand(c.name, c.description) for c in COMMANDS])
    for admin_id in services.settings.admin_ids:
        try:
            await application.bot.set_my_commands(
                [BotCommand(c.name, c.description) for c in COMMANDS + ADMIN_COMMANDS],
                scope=BotCommandScopeChat(admin_id),
            )
        except TelegramError as error:  # the admin may never have opened a chat with the bot
            logger.warning("could not set the admin command menu for %s: %s", admin_id, error)
    await start_watchers(application)


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    services = application.bot_data.services
    await services.http.aclose()
    await services.store.close()


def build_application(settings: Settings, store: Store) -> Application:  # type: ignore[type-arg]
    """The one place that wires the bot together; `newswatch run` and the tests both use it."""
    assert settings.token, "build_application needs a token; the CLI checks this first"
    application = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .context_types(CONTEXT_TYPES)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data.services = build_services(settings, store)
    # One handler group: the first handler that matches wins. Taps on messages the bot cannot
    # see come first (no handler could act on them); the catch-alls come last.
    application.add_handler(buttons.DETACHED)
    for module in (subscription, help, watchlist, latest, admin, fallback):
        application.add_handlers(module.HANDLERS)
    application.add_handler(buttons.CATCH_ALL)
    application.add_error_handler(fallback.on_error)
    return application
