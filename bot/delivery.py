"""Sending alerts: a sender drains the outbox at Telegram's pace and records every outcome.

A poll decides who gets what and queues it in the outbox in the same transaction that stores the
reports; from then on only this sender touches the entry. It sends several messages at once,
spaced by a precise global pacer (`RATE` a second, under Telegram's ~30 with room for command
replies) and at most `GROUP_PER_MINUTE` to any one group or channel, and it records outcomes in
group commits (`bot.outcomes`): whatever finished while the previous commit ran is written by
the next one. So a `kill -9` can repeat only what was in flight or finished but not yet
committed (at most `CONCURRENCY` plus the few that finish during one commit), never a batch,
and loses nothing.

Telegram's answers:
- 429: that chat's alerts wait `retry_after` here while every other chat's go on; the send slot
  is free at once (the rate limiter does not retry the sender's requests, and refuses one to a
  chat it holds for a command reply's 429). A 429 names its chat, so it is that chat's limit
  (`bot.ratelimit`). Nothing is dropped.
- Timeouts, network errors, 5xx: all sending pauses with exponential backoff (capped at
  `MAX_BACKOFF`) and resumes with the oldest entry once Telegram answers again.
- 403 and "chat not found": the chat is marked unreachable with the reason and its pending
  alerts set aside; its watchlist stays, and /start from it resumes it.
- `migrate_to_chat_id`: the chat's record and pending alerts move to the new id, then go out.
- "can't parse entities": sent again as plain text. A deleted forum topic: sent to the chat.
  Any other 400: recorded as failed with its reason, logged and counted, not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot

from bot.outcomes import Outcome, Recorder
from bot.ratelimit import (
    CHAT_GAP,
    GROUP_PER_MINUTE,
    MAX_BACKOFF,
    MIN_BACKOFF,
    Retries,
    retry_seconds,
)
from bot.render import render_alert, render_alert_plain
from bot.storage import Store
from watchers.models import Alert

__all__ = [
    "CONCURRENCY",
    "RATE",
    "Sender",
    "reopen",
    "tell_admins",
]

logger = logging.getLogger(__name__)

RATE = 29.0
"""Alerts a second, all chats together: Telegram allows about 30 and command replies share it."""
CONCURRENCY = 8
"""Sends in flight at once: enough to keep the pace over a 250 ms round trip."""
BATCH = 200
"""Outbox entries read at a time."""
IDLE_CHECK = 5.0
"""Seconds between looks at the outbox when nothing woke the sender."""
RELEASE_WINDOW = timedelta(days=1)
"""Alerts set aside while a chat was unreachable that still go out when it comes back."""
STOP_GRACE = 3.0
"""Seconds a stop waits for the sends in flight before leaving them to the next start."""


SENDER_RETRIES = Retries(rate_limits=0, outages=False)
"""The sender reschedules a held chat and keeps its own backoff: a send slot is never held
through a 429 or an outage."""


class Sender:
    """Drains the outbox: `start()` once, `wake()` after a poll queued alerts, `stop()` at exit.

    `stats` counts outcomes for operators: sent, plain (sent as plain text), dropped, failed,
    unreachable, moved, rate_limited, retried (network errors and 5xx).
    """

    def __init__(
        self,
        bot: ExtBot[Any],
        store: Store,
        *,
        rate: float = RATE,
        concurrency: int = CONCURRENCY,
        group_per_minute: int = GROUP_PER_MINUTE,
        chat_gap: float = CHAT_GAP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._store = store
        self._interval = 1.0 / rate
        self._concurrency = concurrency
        self._group_limit = group_per_minute
        self._chat_gap = chat_gap
        self._clock = clock
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._recorder = Recorder(store, self._recorded)
        self._claimed: set[tuple[int, str]] = set()
        self._settled: set[tuple[int, str]] = set()  # recorded since the outbox was last read
        self._sends: set[asyncio.Task[None]] = set()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._backoff = 0.0
        self._epoch = 0  # moves with every pause, so one outage doubles the backoff once
        self._chat_until: dict[int, float] = {}
        self._group_sent: dict[int, deque[float]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self.stats: Counter[str] = Counter()
        self.passes = 0
        """Reads of the outbox begun so far."""
        self.last_idle_pass = 0
        """The latest pass that found nothing it may send, with nothing in flight or awaiting its
        record: from then on nothing goes out until a wake or a held chat's time (tests wait for
        one that began after a given moment before asserting that nothing more was sent)."""

    # Life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin draining what the outbox holds (including what a previous run left)."""
        self._loop_task = asyncio.create_task(self._run(), name="newswatch-sender")
        self._recorder.start()

    def wake(self) -> None:
        """New alerts are queued: look at the outbox now rather than at the next idle check."""
        self._wake.set()

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Take no new work, let the sends in flight finish (for `grace` seconds at most), record
        their outcomes, and leave everything else in the outbox for the next start."""
        self._stopping.set()
        self._wake.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self._sends:
            _, late = await asyncio.wait(set(self._sends), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await self._recorder.close()
        logger.info("sender stopped: %s", dict(self.stats) or "nothing sent")

    # The loop ---------------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._pass()
            except asyncio.CancelledError:
                raise
            except Exception:  # a store hiccup must not end delivery for good
                logger.exception("the sender failed; trying again in %s s", MIN_BACKOFF)
                await self._idle(MIN_BACKOFF)

    async def _pass(self) -> None:
        """Read the due entries and start sending them in order, as pace and limits allow."""
        await self._wait_until(self._paused_until)
        now = self._clock()
        self._chat_until = {c: u for c, u in self._chat_until.items() if u > now}
        waiting = set(self._chat_until)
        waiting |= {c for c in list(self._group_sent) if not self._group_has_room(c, now)}
        self._wake.clear()
        self._settled.clear()  # a read that begins now sees what was recorded before
        self.passes += 1
        this_pass = self.passes
        due = await self._store.pending_alerts(BATCH + len(self._claimed), skip_chats=waiting)
        started = 0
        for alert in due:
            key = (alert.chat_id, alert.report.id)
            if key in self._claimed or key in self._settled or alert.chat_id in waiting:
                continue
            waiting.add(alert.chat_id)  # one message a chat per pass: CHAT_GAP applies
            if self._stopping.is_set() or self._clock() < self._paused_until:
                break
            if not self._group_has_room(alert.chat_id, self._clock()):
                continue
            await self._slots.acquire()
            if self._stopping.is_set() or self._clock() < self._paused_until:
                self._slots.release()
                break
            try:
                await self._pace(alert.chat_id)
            except asyncio.CancelledError:
                self._slots.release()
                raise
            self._claimed.add(key)
            task = asyncio.create_task(self._send(alert, self._epoch))
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)
            started += 1
        if started == 0:
            if not self._claimed:
                self.last_idle_pass = this_pass
            await self._idle(self._next_wake())

    def _next_wake(self) -> float:
        """How long to wait when nothing could start: until a held-back chat may go again (a
        send that ends, or a commit that frees its claim, wakes the sender sooner)."""
        now = self._clock()
        untils = [u - now for u in self._chat_until.values() if u > now]
        full = [c for c in list(self._group_sent) if not self._group_has_room(c, now)]
        untils += [self._group_sent[chat][0] + 60.0 - now for chat in full]
        return max(0.01, min([IDLE_CHECK, *untils]))

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _wait_until(self, moment: float) -> None:
        delay = moment - self._clock()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _pace(self, chat_id: int) -> None:
        """Space sends exactly `1/rate` apart; hold the chat back for `CHAT_GAP`, and count a
        group's sends for its minute."""
        now = self._clock()
        at = max(self._next_slot, now)
        self._next_slot = at + self._interval
        self._chat_until[chat_id] = max(self._chat_until.get(chat_id, 0.0), at + self._chat_gap)
        if chat_id < 0:
            self._group_sent.setdefault(chat_id, deque()).append(at)
        if at > now:
            await asyncio.sleep(at - now)

    def _group_has_room(self, chat_id: int, now: float) -> bool:
        sent = self._group_sent.get(chat_id)
        if sent is None:
            return True
        while sent and sent[0] <= now - 60.0:
            sent.popleft()
        if not sent:
            del self._group_sent[chat_id]
            return True
        return len(sent) < self._group_limit

    # One send ---------------------------------------------------------------------------------

    async def _send(self, alert: Alert, epoch: int) -> None:
        key = (alert.chat_id, alert.report.id)
        done = False
        try:
            outcome = await self._deliver(alert, epoch)
            if outcome is not None:
                self._recorder.add(outcome)
                self.stats[outcome.status] += 1
                done = True
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("alert %s to chat %s: unexpected failure", key[1], key[0])
            self._pause(epoch, "an unexpected error")
        finally:
            self._slots.release()
            if not done:
                self._claimed.discard(key)
                self._wake.set()

    async def _deliver(self, alert: Alert, epoch: int) -> Outcome | None:
        """Send one alert; the outcome to record, or None to leave it pending."""
        chat_id, report_id = alert.chat_id, alert.report.id
        watch = self._store.active_watch(chat_id, alert.keyword)
        if watch is None:  # unwatched, paused, stopped or forgotten since the poll
            return Outcome(chat_id, report_id, "dropped", "the chat no longer watches it")
        thread = watch.thread_id
        text, plain = render_alert(alert), False
        while True:
            try:
                await self._bot.send_message(
                    chat_id,
                    text,
                    message_thread_id=thread,
                    rate_limit_args=SENDER_RETRIES,
                    **({"parse_mode": None} if plain else {}),
                )
            except RetryAfter as error:
                self._rate_limited(chat_id, retry_seconds(error))
                return None
            except ChatMigrated as error:
                await self._moved(chat_id, int(error.new_chat_id))
                return None
            except Forbidden as error:
                await self._unreachable(chat_id, error.message)
                return None
            except BadRequest as error:
                reason = error.message
                lowered = reason.lower()
                if "chat not found" in lowered:
                    await self._unreachable(chat_id, reason)
                    return None
                if "can't parse entities" in lowered and not plain:
                    logger.warning(
                        "alert %s to chat %s refused as HTML (%s); sending it as plain text",
                        report_id,
                        chat_id,
                        reason,
                    )
                    text, plain = render_alert_plain(alert), True
                    self.stats["plain"] += 1
                    continue
                if "thread not found" in lowered and thread is not None:
                    thread = None  # the topic was deleted: the chat itself still gets it
                    continue
                logger.warning(
                    "alert %s to chat %s refused for good (%s); %d refused so far",
                    report_id,
                    chat_id,
                    reason,
                    self.stats["failed"] + 1,  # counted when the outcome is recorded
                )
                return Outcome(chat_id, report_id, "failed", reason)
            except TelegramError as error:  # timeouts, network errors, 5xx
                self.stats["retried"] += 1
                self._pause(epoch, str(error))
                return None
            self._backoff = 0.0
            return Outcome(chat_id, report_id, "sent")

    def _rate_limited(self, chat_id: int, seconds: float) -> None:
        """A 429 names its chat, so it is that chat's limit: this chat waits, the others not."""
        self.stats["rate_limited"] += 1
        until = self._clock() + seconds
        self._chat_until[chat_id] = max(self._chat_until.get(chat_id, 0.0), until)
        logger.warning("Telegram asked to wait %.0f s (chat %s)", seconds, chat_id)

    def _pause(self, epoch: int, reason: str) -> None:
        """Telegram did not answer properly: pause every send, longer each time it persists."""
        if epoch != self._epoch:  # a send started before the current pause: already counted
            return
        self._epoch += 1
        self._backoff = min(MAX_BACKOFF, max(MIN_BACKOFF, self._backoff * 2))
        self._paused_until = self._clock() + self._backoff
        logger.warning("Telegram unreachable (%s); sending again in %.0f s", reason, self._backoff)

    async def _unreachable(self, chat_id: int, reason: str) -> None:
        self.stats["unreachable"] += 1
        held = await self._store.set_unreachable(chat_id, reason)
        logger.warning(
            "chat %s cannot be reached (%s): alerts stop until it sends /start; %d set aside",
            chat_id,
            reason,
            held,
        )

    async def _moved(self, old: int, new: int) -> None:
        self.stats["moved"] += 1
        await self._store.move_chat(old, new)
        logger.info("chat %s is now supergroup %s: its watchlist and alerts moved", old, new)

    def _recorded(self, outcomes: list[Outcome]) -> None:
        """Outcomes are in the store: their claims end, and a read begun before must skip them."""
        for outcome in outcomes:
            key = (outcome.chat_id, outcome.report_id)
            self._claimed.discard(key)
            self._settled.add(key)  # `due` read before this commit may still list it as pending
        self._wake.set()  # what was due but claimed may be looked at again


async def reopen(store: Store, chat_id: int, sender: Sender | None) -> int:
    """The chat is reachable again: its alerts set aside in the last day go out after all."""
    released = await store.reopen_chat(chat_id, datetime.now(UTC) - RELEASE_WINDOW)
    if released and sender is not None:
        sender.wake()
    return released


async def tell_admins(bot: Bot, admin_ids: Iterable[int], text: str) -> None:
    """Notify the operators; one unreachable admin does not keep the others from hearing."""
    for admin_id in admin_ids:
        try:
            await bot.send_message(admin_id, text)
        except TelegramError as error:
            logger.warning("could not notify admin %s: %s", admin_id, error)
