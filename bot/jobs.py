"""The scheduled work: one repeating JobQueue job per source, and a regular prune of old reports."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

from telegram.ext import Application

from bot.context import Context
from bot.delivery import deliver, tell_admins
from bot.render import escape
from bot.storage import Store
from watchers.fetch import SourceState
from watchers.models import Subscription
from watchers.sources import Source

__all__ = ["active_subscriptions", "start_watchers"]

logger = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=6)


def active_subscriptions(store: Store) -> tuple[Subscription, ...]:
    """Every keyword of every chat that currently wants alerts: the store's cached tuple,
    rebuilt only when a watchlist changed, never per poll."""
    return store.subscriptions()


async def poll_job(context: Context) -> None:
    """Poll one source (the job's data) and send the alerts it queued."""
    assert context.job is not None
    source: Source = context.job.data  # type: ignore[assignment]
    services = context.bot_data.services
    store = services.store
    version = store.watch_version  # read first: a change in between only costs a rebuild
    result = await services.poller.poll(source, active_subscriptions(store), version)
    if result.skipped:
        return
    # Summaries take a while: a chat that paused, stopped, forgot or unwatched meanwhile gets
    # nothing.
    wanted = [a for a in result.alerts if store.is_watching(a.chat_id, a.keyword)]
    unwanted = [(a.chat_id, a.report.id) for a in result.alerts if a not in wanted]
    await store.mark_dropped(unwanted, "the chat stopped watching before it was sent")
    sent = 0
    for alert in wanted:  # one by one, so only what Telegram accepted is marked sent
        if await deliver(context.bot, [alert]):
            sent += 1
            await store.mark_delivered([(alert.chat_id, alert.report.id)])
    logger.info(
        "polled %s: %d reports, %d new, %d alerts sent%s",
        source.name,
        result.fetched,
        result.new,
        sent,
        f", error: {result.error}" if result.error else "",
    )
    if result.disabled_now:
        await tell_admins(
            context.bot,
            services.settings.admin_ids,
            f"Source <b>{escape(source.name)}</b> has failed for 24 hours and is switched off.\n"
            f"Last error: {escape(result.error or 'unknown')}",
        )


async def prune_job(context: Context) -> None:
    """Forget reports no source has shown for the retention period, so the database stays
    bounded."""
    services = context.bot_data.services
    cutoff = datetime.now(UTC) - timedelta(days=services.settings.retention_days)
    removed = await services.store.prune_reports(cutoff)
    if removed:
        logger.info("pruned %d reports no source has shown since %s", removed, cutoff.date())


async def start_watchers(application: Application) -> None:  # type: ignore[type-arg]
    """One job per source, spread out by jitter, never overlapping itself.

    A source switched off after a day of failures gets another chance at every start: an
    operator restarts the bot after fixing its URL or when its outlet is back.
    """
    services = application.bot_data.services
    queue = application.job_queue
    assert queue is not None, "install python-telegram-bot[job-queue]"
    states = await services.store.source_states()
    for source in services.sources:
        state = states.get(source.name)
        if state is not None and state.disabled:
            logger.warning(
                "source %s was switched off (%s); polling it again", source.name, state.last_error
            )
            # Forgetting the last success makes the next poll a first poll: what the source
            # published while it was off is stored for /latest, not sent as a flood of alerts.
            await services.store.save_source_state(source.name, SourceState())
        queue.run_repeating(
            poll_job,
            interval=source.interval,
            first=random.uniform(0.5, min(source.interval, 10.0)),
            name=f"poll:{source.name}",
            data=source,
            job_kwargs={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": max(int(source.interval), 1),
                "jitter": min(source.interval / 10, 30.0),
            },
        )
    queue.run_repeating(prune_job, interval=PRUNE_EVERY, first=5.0, name="prune")
    logger.info("watching %d sources", len(services.sources))
