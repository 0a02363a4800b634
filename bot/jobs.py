"""The scheduled work: one repeating JobQueue job per source, and a regular prune of old reports.

Polls only queue alerts (in the outbox, with the reports); `bot.delivery.Sender` sends them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta

from telegram.ext import Application

from bot.context import Context
from bot.delivery import tell_admins
from bot.render import escape
from watchers.heap import give_back
from watchers.models import SourceState
from watchers.sources import Source

__all__ = ["cancel_polls", "start_watchers"]

logger = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(hours=6)
KEEP_DONE = timedelta(days=3)
"""How long sent and dropped outbox entries stay: past `watchers.telling.EDIT_FOR`, since a
story's sent alert is what its edits change, and for an operator to look at."""

TRIM_AFTER = 50
"""New reports in one poll after which the freed heap is given back to the system. The first
polls bring a feed's whole backlog (100 reports of ~1,000 characters each, with hundreds of
hits) through the bot at once: 192 MB RSS after the first 50 polls, 103 MB once given back."""
TRIM_EVERY = 5.0
"""Seconds after which a poll with any new report gives the freed heap back too (a trim takes
well under a millisecond)."""


_trimmed = 0.0  # time.monotonic() of the last `give_back`


async def _trim_after(new: int) -> None:
    """`give_back`, in a thread, after a large poll, or after any new report once TRIM_EVERY
    has passed."""
    global _trimmed
    now = time.monotonic()
    if new >= TRIM_AFTER or (new and now - _trimmed >= TRIM_EVERY):
        _trimmed = now
        await asyncio.to_thread(give_back)


async def poll_job(context: Context) -> None:
    """Poll one source (the job's data); the alerts it queued are the sender's to deliver.

    The poll is registered as a running task so that stopping can cancel it (`cancel_polls`):
    the job queue waits for running jobs at shutdown, and a fetch may take 20 s.
    """
    assert context.job is not None
    source: Source = context.job.data  # type: ignore[assignment]
    task = asyncio.current_task()
    assert task is not None  # PTB runs every job in a task of its own
    polls = context.bot_data.polls
    polls.add(task)
    try:
        await _poll(context, source)
    except asyncio.CancelledError:  # the bot is stopping: nothing failed, the job just ends
        logger.info("poll of %s cancelled: the bot is stopping", source.name)
    finally:
        polls.discard(task)


async def _poll(context: Context, source: Source) -> None:
    services = context.bot_data.services
    store = services.store
    version = store.chats.version  # read first: a change in between only costs a rebuild
    result = await services.poller.poll(
        source, store.chats.subscriptions(), version, store.chats.searched_keywords()
    )
    if result.skipped:
        return
    sender = context.bot_data.sender
    if result.alerts and sender is not None:
        sender.wake()
    logger.info(
        "polled %s: %d reports, %d new, %d alerts queued%s",
        source.name,
        result.fetched,
        result.new,
        len(result.alerts),
        f", error: {result.error}" if result.error else "",
    )
    await _trim_after(result.new)
    if result.disabled_now:
        await tell_admins(
            context.bot,
            services.settings.admin_ids,
            f"Source <b>{escape(source.name)}</b> has failed for 24 hours and is switched off.\n"
            f"Last error: {escape(result.error or 'unknown')}",
        )


async def prune_job(context: Context) -> None:
    """Forget reports no source has shown for the retention period, and outbox entries done
    for a day, so the database stays bounded."""
    services = context.bot_data.services
    cutoff = datetime.now(UTC) - timedelta(days=services.settings.retention_days)
    removed = await services.store.reports.prune(cutoff)
    if removed:
        logger.info("pruned %d reports no source has shown since %s", removed, cutoff.date())
    done = await services.store.outbox.prune_done(datetime.now(UTC) - KEEP_DONE)
    counts = {str(status): n for status, n in (await services.store.outbox.counts()).items()}
    logger.info("outbox: %d done entries pruned; now %s", done, counts or "empty")


async def cancel_polls(application: Application) -> None:
    """Cancel the polls in progress, so that stopping never waits for a slow fetch. What a
    cancelled poll had recorded is in the outbox; what it had not is fetched again next time."""
    polls = list(application.bot_data.polls)
    for task in polls:
        task.cancel()
    await asyncio.gather(*polls, return_exceptions=True)


async def start_watchers(application: Application) -> None:
    """One job per source, spread out by jitter, never overlapping itself.

    A source switched off after a day of failures gets another chance at every start: an
    operator restarts the bot after fixing its URL or when its outlet is back.
    """
    services = application.bot_data.services
    queue = application.job_queue
    assert queue is not None, "install python-telegram-bot[job-queue]"
    states = await services.store.sources.all()
    for source in services.sources:
        state = states.get(source.name)
        if state is not None and state.disabled:
            logger.warning(
                "source %s was switched off (%s); polling it again", source.name, state.last_error
            )
            # Forgetting the last success makes the next poll a first poll: what the source
            # published while it was off is stored for /latest, not sent as a flood of alerts.
            await services.store.sources.save(source.name, SourceState())
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
