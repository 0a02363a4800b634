"""Builds the Telegram application: every handler, the command menu and the watchers."""

from __future__ import annotations

import gc
import logging
import os

from telegram import BotCommand, BotCommandScopeChat
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot.config import Settings
from bot.context import CONTEXT_TYPES
from bot.delivery import PatientLimiter, Sender
from bot.jobs import cancel_polls, start_watchers
from bot.services import build_services
from bot.store import Store
from bot.updates import FairUpdates
from handlers import (
    admin,
    buttons,
    channel,
    fallback,
    help,
    language,
    latest,
    subscription,
    watchlist,
)
from handlers.commands import ADMIN_COMMANDS, COMMANDS
from watchers.cpu import on_cpu

__all__ = ["NewswatchApplication", "build_application"]

logger = logging.getLogger(__name__)


async def _post_init(application: Application) -> None:
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
    # The CPU worker starts now, not in the first poll (spawning takes a moment).
    logger.info("CPU worker process: pid %d", await on_cpu(os.getpid))
    await start_watchers(application)
    sender = Sender(application.bot, services.store)
    sender.start()  # first drains what a previous run left in the outbox
    application.bot_data.sender = sender
    # What exists now (chats, aliases, handlers) lives as long as the bot: taking it out of the
    # cyclic collector's reach cut its longest pauses, which stall every command, from ~150 ms
    # to ~40 ms with 10,000 chats (bench.cycle). Garbage is still freed by reference counting.
    gc.freeze()


class NewswatchApplication(Application):
    """PTB's application, stopping the bot's own work first.

    On SIGTERM/SIGINT `run_polling` stops fetching updates, then `stop()` waits for running
    jobs; a poll stuck in a 20 s fetch, or a sender with a backlog, would hold the exit. Here
    the sender takes no new alert and finishes the ones in flight (the rest stay in the
    outbox), the scheduler starts no new poll, running polls are cancelled and replies stop
    waiting out an outage, before PTB handles the updates already fetched and stops.
    """

    async def stop(self) -> None:
        sender, self.bot_data.sender = self.bot_data.sender, None
        if sender is not None:
            await sender.stop()
        if self.job_queue is not None and self.job_queue.scheduler.running:
            self.job_queue.scheduler.pause()
        await cancel_polls(self)
        if isinstance(self.bot.rate_limiter, PatientLimiter):
            self.bot.rate_limiter.close()  # a reply waiting out an outage gives up now
        await super().stop()


async def _post_shutdown(application: Application) -> None:
    services = application.bot_data.services
    await services.http.aclose()
    await services.store.close()


def build_application(settings: Settings, store: Store) -> Application:
    """The one place that wires the bot together; `newswatch run` and the tests both use it."""
    assert settings.token, "build_application needs a token; the CLI checks this first"
    application = (
        ApplicationBuilder()
        .application_class(NewswatchApplication)
        .token(settings.token)
        .base_url(settings.api_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .context_types(CONTEXT_TYPES)
        .rate_limiter(PatientLimiter(max_retries=3))
        # chats side by side, each in order, floods capped
        .concurrent_updates(FairUpdates(route=store.chats.target_of))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data.services = build_services(settings, store)
    # One handler group: the first handler that matches wins. Taps on messages the bot cannot
    # see come first (no handler could act on them); the catch-alls come last.
    application.add_handler(buttons.DETACHED)
    for module in (subscription, help, watchlist, latest, language, channel, admin, fallback):
        application.add_handlers(module.HANDLERS)
    application.add_handler(buttons.CATCH_ALL)
    application.add_error_handler(fallback.on_error)
    return application
