"""Builds the Telegram application: services, every handler, the command menu and the watchers."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
from telegram import BotCommand, BotCommandScopeChat
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults

from bot.config import Settings
from bot.jobs import start_watchers
from bot.storage import Store
from handlers import admin, fallback, help, latest, subscription, watchlist
from handlers.commands import ADMIN_COMMANDS, COMMANDS
from watchers.alerts import LLMConfig, Summariser
from watchers.fetch import USER_AGENT
from watchers.matching import AliasBook, load_aliases
from watchers.poll import Poller
from watchers.sources import Source, configured_sources

__all__ = ["Services", "build_application", "build_services", "llm_config", "sources_of"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Services:
    """The long-lived objects handlers and jobs share, kept in `application.bot_data`."""

    settings: Settings
    store: Store
    aliases: AliasBook
    http: httpx.AsyncClient
    sources: list[Source]
    poller: Poller


def llm_config(settings: Settings) -> LLMConfig | None:
    """The LLM summariser's endpoint, when the operator configured one."""
    if settings.llm_url and settings.llm_model:
        return LLMConfig(settings.llm_url, settings.llm_model, settings.llm_api_key)
    return None


def sources_of(settings: Settings) -> list[Source]:
    """The sources the settings switch on."""
    return configured_sources(
        feeds=settings.feeds,
        default_sources=settings.default_sources,
        google_news_url=settings.google_news_url,
        gdelt_url=settings.gdelt_url,
        poll_seconds=settings.poll_seconds,
    )


def build_services(settings: Settings, store: Store) -> Services:
    """Everything the bot shares, built once at start-up."""
    aliases = load_aliases()
    http = httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, follow_redirects=True)
    llm = llm_config(settings)
    slots = asyncio.Semaphore(4)  # article fetches and LLM calls in flight, for all sources
    poller = Poller(
        http,
        store,
        aliases,
        lambda: Summariser(http, llm=llm, slots=slots),
        retention=timedelta(days=settings.retention_days),
    )
    return Services(settings, store, aliases, http, sources_of(settings), poller)


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Publish the command menu (admins also see their commands) and start the watchers."""
    services: Services = application.bot_data["services"]
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
    services: Services = application.bot_data["services"]
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
        .rate_limiter(AIORateLimiter(max_retries=3))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["services"] = build_services(settings, store)
    # One handler group: the first handler that matches wins, so the catch-all comes last.
    for module in (subscription, help, watchlist, latest, admin, fallback):
        application.add_handlers(module.HANDLERS)
    application.add_error_handler(fallback.on_error)
    return application
