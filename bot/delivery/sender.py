"""Sending alerts: a sender drains the outbox at Telegram's pace and records every outcome.

The asyncio half of delivery: it claims due entries, waits as `pacing` decides, sends, acts on
what `answers` makes of a refusal, and hands outcomes to the `recorder`.

A poll decides who gets what and queues it in the outbox in the same transaction that stores the
reports; from then on only this sender touches the entry. It sends several messages at once,
spaced by a precise global pacer (`RATE` a second, under Telegram's ~30 with room for command
replies) and at most `GROUP_PER_MINUTE` to any one group or channel, and it records outcomes in
group commits (`recorder`): whatever finished while the previous commit ran is written by
the next one. So a `kill -9` can repeat only what was in flight or finished but not yet
committed (at most `CONCURRENCY` plus the few that finish during one commit), never a batch,
and loses nothing.

What the sender does with Telegram's answers (`answers` reads them):
- 429: that chat's alerts wait `retry_after` here while every other chat's go on; the send slot
  is free at once (the rate limiter does not retry the sender's requests, and refuses one to a
  chat it holds for a command reply's 429). A 429 names its chat, so it is that chat's limit
  (`limiter`). Nothing is dropped.
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
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.delivery.answers import Hold, Moved, Outage, Resend, Unreachable, read_answer
from bot.delivery.limiter import Terms
from bot.delivery.pacing import CHAT_GAP, GROUP_PER_MINUTE, MIN_BACKOFF, RATE, Pacing
from bot.delivery.recorder import Recorder
from bot.render import render_alert, render_alert_plain
from bot.store import OutboxStatus, Outcome, Store
from watchers.models import Alert, Edit

__all__ = [
    "BATCH",
    "CONCURRENCY",
    "Sender",
    "reopen",
    "tell_admins",
]

logger = logging.getLogger(__name__)

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


SENDER_TERMS = Terms(rate_limits=0, outages=False, alert=True)
"""The sender reschedules a held chat and keeps its own backoff, so a send slot is never held
through a 429 or an outage; and its alerts give way to replies."""


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
        self._pacing = Pacing(
            rate=rate, group_per_minute=group_per_minute, chat_gap=chat_gap, clock=clock
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._recorder = Recorder(store.outbox, self._recorded)
        self._claimed: set[tuple[int, str]] = set()
        self._settled: set[tuple[int, str]] = set()  # recorded since the outbox was last read
        self._sends: set[asyncio.Task[None]] = set()
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
        await self._wait_out_pause()
        pacing = self._pacing
        waiting = pacing.held()
        self._wake.clear()
        self._settled.clear()  # a read that begins now sees what was recorded before
        self.passes += 1
        this_pass = self.passes
        due = await self._store.outbox.pending(BATCH + len(self._claimed), skip_chats=waiting)
        started = 0
        for entry in due:
            key = _key(entry)
            if key in self._claimed or key in self._settled or entry.chat_id in waiting:
                continue
            waiting.add(entry.chat_id)  # one message a chat per pass: CHAT_GAP applies
            if self._stopping.is_set() or pacing.paused():
                break
            if not pacing.group_has_room(entry.chat_id):
                continue
            await self._slots.acquire()
            if self._stopping.is_set() or pacing.paused():
                self._slots.release()
                break
            try:
                delay = pacing.reserve(entry.chat_id)  # sends go `1/rate` apart
                if delay > 0:
                    await asyncio.sleep(delay)
            except asyncio.CancelledError:
                self._slots.release()
                raise
            self._claimed.add(key)
            task = asyncio.create_task(self._send(entry, pacing.epoch))
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)
            started += 1
        if started == 0:
            if not self._claimed:
                self.last_idle_pass = this_pass
            await self._idle(pacing.next_wake(IDLE_CHECK))

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _wait_out_pause(self) -> None:
        """Until the pause after an outage ends, or a stop."""
        delay = self._pacing.pause_left()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    # One send ---------------------------------------------------------------------------------

    async def _send(self, entry: Alert | Edit, epoch: int) -> None:
        key = _key(entry)
        done = False
        try:
            if isinstance(entry, Edit):
                outcome = await self._edit(entry, epoch)
            else:
                outcome = await self._deliver(entry, epoch)
            if outcome is not None:
                self._recorder.add(outcome)
                self.stats[outcome.status.value] += 1
                done = True
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("entry %s to chat %s: unexpected failure", key[1], key[0])
            self._pause(epoch, "an unexpected error")
        finally:
            self._slots.release()
            if not done:
                self._claimed.discard(key)
                self._wake.set()

    async def _deliver(self, alert: Alert, epoch: int) -> Outcome | None:
        """Send one alert; the outcome to record, or None to leave it pending."""
        chat_id, report_id = alert.chat_id, alert.report.id
        watch = self._store.chats.active_watch(chat_id, alert.keyword)
        if watch is None:  # unwatched, paused, stopped or forgotten since the poll
            reason = "the chat no longer watches it"
            return Outcome(chat_id, report_id, OutboxStatus.DROPPED, reason)
        thread = watch.thread_id
        text, plain = render_alert(alert), False
        while True:
            try:
                sent = await self._bot.send_message(
                    chat_id,
                    text,
                    message_thread_id=thread,
                    rate_limit_args=SENDER_TERMS,
                    **({"parse_mode": None} if plain else {}),
                )
            except TelegramError as error:
                answer = read_answer(
                    error, chat_id, report_id, plain=plain, in_thread=thread is not None
                )
                match answer:
                    case Hold(seconds):
                        self._rate_limited(chat_id, seconds)
                    case Moved(new_chat_id):
                        await self._moved(chat_id, new_chat_id)
                    case Unreachable(reason):
                        await self._unreachable(chat_id, reason)
                    case Resend.PLAIN:
                        logger.warning(
                            "alert %s to chat %s refused as HTML (%s); sending it as plain text",
                            report_id,
                            chat_id,
                            error.message,
                        )
                        text, plain = render_alert_plain(alert), True
                        self.stats["plain"] += 1
                        continue
                    case Resend.TO_CHAT:
                        thread = None  # the topic was deleted: the chat itself still gets it
                        continue
                    case Outage(reason):  # timeouts, network errors, 5xx
                        self.stats["retried"] += 1
                        self._pause(epoch, reason)
                    case Outcome():  # refused for good
                        logger.warning(
                            "alert %s to chat %s refused for good (%s); %d refused so far",
                            report_id,
                            chat_id,
                            answer.reason,
                            self.stats["failed"] + 1,  # counted when the outcome is recorded
                        )
                        return answer
                return None
            self._pacing.answered()
            return Outcome(chat_id, report_id, OutboxStatus.SENT, message_id=sent.message_id)

    async def _edit(self, edit: Edit, epoch: int) -> Outcome | None:
        """Write a story's alert again with the outlets that carry the story now; the outcome
        to record, or None to leave the edit pending."""
        alert, chat_id = edit.alert, edit.chat_id
        if edit.message_id is None:
            reason = "its alert was not sent: it shows the story as it is when sent"
            return Outcome(chat_id, edit.entry, OutboxStatus.DROPPED, reason)
        if self._store.chats.active_watch(chat_id, alert.keyword) is None:
            reason = "the chat no longer watches it"
            return Outcome(chat_id, edit.entry, OutboxStatus.DROPPED, reason)
        text, plain = render_alert(alert), False
        while True:
            try:
                await self._bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=edit.message_id,
                    rate_limit_args=SENDER_TERMS,
                    **({"parse_mode": None} if plain else {}),
                )
            except TelegramError as error:
                answer = read_answer(error, chat_id, edit.entry, plain=plain, in_thread=False)
                match answer:
                    case Hold(seconds):
                        self._rate_limited(chat_id, seconds)
                    case Moved(_) | Unreachable(_):  # its next alert finds out and acts
                        return Outcome(chat_id, edit.entry, OutboxStatus.DROPPED, str(error))
                    case Resend.PLAIN:
                        text, plain = render_alert_plain(alert), True
                        continue
                    case Outage(reason):
                        self.stats["retried"] += 1
                        self._pause(epoch, reason)
                    case Outcome():
                        if answer.status is OutboxStatus.FAILED:
                            logger.warning(
                                "edit %s in chat %s refused (%s)",
                                edit.entry,
                                chat_id,
                                answer.reason,
                            )
                        return answer
                    case Resend.TO_CHAT:  # not asked of an edit
                        return Outcome(chat_id, edit.entry, OutboxStatus.FAILED, str(error))
                return None
            self._pacing.answered()
            self.stats["edited"] += 1
            return Outcome(chat_id, edit.entry, OutboxStatus.SENT)

    def _rate_limited(self, chat_id: int, seconds: float) -> None:
        """A 429 names its chat, so it is that chat's limit: this chat waits, the others not."""
        self.stats["rate_limited"] += 1
        self._pacing.hold(chat_id, seconds)
        logger.warning("Telegram asked to wait %.0f s (chat %s)", seconds, chat_id)

    def _pause(self, epoch: int, reason: str) -> None:
        """Telegram did not answer properly: pause every send, longer each time it persists."""
        backoff = self._pacing.pause(epoch)
        if backoff is not None:  # else a send started before the current pause: already counted
            logger.warning("Telegram unreachable (%s); sending again in %.0f s", reason, backoff)

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


def _key(entry: Alert | Edit) -> tuple[int, str]:
    """An outbox entry's key: the chat, and the report that queued it."""
    if isinstance(entry, Edit):
        return entry.chat_id, entry.entry
    return entry.chat_id, entry.report.id


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
