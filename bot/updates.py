"""How updates are scheduled: chats side by side, each chat's own updates in order, and a chat
that sends faster than a person can answered at a bounded rate.

PTB hands every update to `FairUpdates` in a task of its own (`concurrent_updates`), and the
flood check below runs at once, whatever is running: PTB's own bound is given no limit, since it
is taken before the check. A chat's updates wait in its own queue and run one at a time, in the
order they came, each in one of `CONCURRENCY` slots taken only while its handler runs: a chat
whose replies wait out its send limit gives its slot back between updates and takes a turn
behind the other chats waiting, so busy chats share the slots and hold back nobody for long.
Updates that belong to no chat (inline queries) run as they come, each in a slot.

Flood control, per chat, counts only updates a handler answers: commands (in messages and
channel posts), text in a private chat (it gets a hint) and button taps. Every other update (a
channel's own posts, people talking in a group, service messages) is free: it is queued if the
queue has room, dropped without a word if not, and never leads to a notice. An answered update
takes a token from a bucket of `BURST` refilled at `PER_SECOND`, and is queued unless the very
same command already waits in the queue (it is answered by that one) or `QUEUE` answered updates
already wait. Any other update is dropped, and the first drop of a flood episode tells the chat
once ("Slow down ...") and the operator once (a log line). An episode ends when the chat has
been quiet long enough to refill its whole burst. A button tap costs no token (a spinner waits
for each answer, so a person taps at the bot's pace), but one that cannot be queued, or that
comes while its chat floods, is answered at once with a short "slow down" instead of waiting
behind the flood; answering a tap is not counted against the chat's send limit.

A queue belongs to the chat record that commands change (`route`): a private chat that manages
a channel with /channel shares the channel's queue and bucket, so two admins' commands never
load and save the channel's record side by side.

So a chat holds at most `QUEUE` answered and `QUEUE` free updates, and a chat is remembered only
while it has updates queued or its bucket is refilling: memory follows the number of chats that
wrote in the last `BURST / PER_SECOND` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Chat, Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

__all__ = [
    "BURST",
    "CONCURRENCY",
    "PER_SECOND",
    "QUEUE",
    "SLOW_DOWN",
    "TAP_SLOW_DOWN",
    "FairUpdates",
]

logger = logging.getLogger(__name__)

BURST = 10
"""Updates a chat may send at once: more than a person types in a few seconds, or pastes as a
run of commands, so only a script or a stuck key ever uses it up."""
PER_SECOND = 1.0
"""Updates a second a chat is answered at once its burst is spent: a person cannot read replies
faster, and Telegram lets the bot send only about one message a second to a chat anyway."""
QUEUE = BURST
"""Updates that may wait behind a chat's running one. Tokens keep the queue short while replies
flow; this bounds it when they do not (a reply waiting out a 429 or an outage)."""
CONCURRENCY = 64
"""Handlers running at once, all chats together. A handler mostly awaits its reply, so many
overlap cheaply; the bound keeps thousands of chats writing at once from starting thousands of
handlers (a chat uses at most one slot however much it sends)."""
UNBOUNDED = 2**31 - 1
"""PTB's own bound on updates at once: none to speak of, so no update waits to be checked."""
SWEEP_AT = 1024
"""Chats remembered before the quiet ones are looked for and forgotten (then twice as many)."""

SLOW_DOWN = (
    "Slow down, please: you are sending messages faster than I can answer. "
    "I answer about one a second and skip the rest."
)
TAP_SLOW_DOWN = "Slow down, please: too many at once. Try again in a few seconds."


@dataclass(slots=True)
class _Waiting:
    """An update not started yet: the command text it may be coalesced by, and whether a
    handler answers it (free updates do not count against the queue's bound)."""

    command: str | None
    answered: bool
    coroutine: Awaitable[Any]


@dataclass(slots=True)
class _Chat:
    tokens: float
    stamp: float
    waiting: deque[_Waiting] = field(default_factory=deque)
    busy: bool = False
    flooding: bool = False


class FairUpdates(BaseUpdateProcessor):
    """Per-chat FIFO with flood control (see the module); `stats` counts what became of the
    updates of chats: queued, coalesced, dropped, taps_refused, notices (sent), and skipped (free
    updates that found the queue full)."""

    def __init__(
        self,
        concurrency: int = CONCURRENCY,
        *,
        burst: int = BURST,
        per_second: float = PER_SECOND,
        queue: int = QUEUE,
        clock: Callable[[], float] = time.monotonic,
        route: Callable[[int], int] = int,
    ) -> None:
        super().__init__(UNBOUNDED)
        self._slots = asyncio.Semaphore(concurrency)
        self._burst = burst
        self._rate = per_second
        self._queue = queue
        self._clock = clock
        self._route = route
        self._chats: dict[int, _Chat] = {}
        self._sweep_at = SWEEP_AT
        self.stats: Counter[str] = Counter()

    @property
    def remembered(self) -> int:
        """How many chats the processor holds state for (queued updates or a refilling bucket)."""
        return len(self._chats)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: PTB waits for every update task, and so for every queue."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = _chat_id(update)
        if chat_id is None:
            async with self._slots:
                await coroutine
            return
        assert isinstance(update, Update)
        # One queue per chat record that commands change: the private chats of a channel's
        # admins managing it with /channel share the channel's, so no two of them load and
        # save its record at the same time (the later save would undo the earlier).
        key = self._route(chat_id)
        chat = self._chat(key)
        tap = update.callback_query is not None
        answered = tap or _answered(update)
        if not answered:
            if len(chat.waiting) >= self._queue:
                _close(coroutine)
                self.stats["skipped"] += 1
                return
        elif not self._admit(chat, tap):
            _close(coroutine)
            await self._refuse(update, chat_id, chat, tap)
            return
        command = _command(update)
        if command is not None and any(command == waiting.command for waiting in chat.waiting):
            _close(coroutine)
            self.stats["coalesced"] += 1
            return
        chat.waiting.append(_Waiting(command, answered, coroutine))
        self.stats["queued"] += 1
        if not chat.busy:
            await self._drain(key, chat)

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= self._sweep_at:
                self._forget_quiet()
            chat = self._chats[chat_id] = _Chat(float(self._burst), self._clock())
        return chat

    def _forget_quiet(self) -> None:
        """Drop the chats with nothing queued and a full bucket: they are as good as new."""
        for chat_id in [c for c, chat in self._chats.items() if self._rested(chat)]:
            del self._chats[chat_id]
        self._sweep_at = max(SWEEP_AT, 2 * len(self._chats))

    def _rested(self, chat: _Chat) -> bool:
        """Refill the bucket; true when it is full and nothing is queued or running."""
        now = self._clock()
        chat.tokens = min(float(self._burst), chat.tokens + (now - chat.stamp) * self._rate)
        chat.stamp = now
        return chat.tokens >= self._burst and not chat.busy and not chat.waiting

    def _admit(self, chat: _Chat, tap: bool) -> bool:
        """Take a token (a tap takes none), within the queue's bound; a rested chat's flood
        episode, if any, is over."""
        if self._rested(chat):
            chat.flooding = False
        queued = sum(1 for waiting in chat.waiting if waiting.answered)
        if queued >= self._queue or (tap and chat.flooding):
            return False
        if tap:
            return True
        if chat.tokens < 1:
            return False
        chat.tokens -= 1
        return True

    async def _refuse(self, update: Update, chat_id: int, chat: _Chat, tap: bool) -> None:
        """Drop the update; the first of an episode is logged and, for a message, told."""
        self.stats["taps_refused" if tap else "dropped"] += 1
        first = not chat.flooding
        chat.flooding = True
        if first:
            logger.warning(
                "chat %s floods the bot (over %d updates at once, then %g a second): "
                "what it sends beyond that is dropped until it pauses",
                chat_id,
                self._burst,
                self._rate,
            )
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(TAP_SLOW_DOWN)
            elif first and update.effective_message is not None:
                self.stats["notices"] += 1
                await update.effective_message.reply_text(SLOW_DOWN, parse_mode=None)
        except TelegramError as error:  # blocked, gone, or the tap too old: nothing to tell
            logger.debug("could not tell chat %s to slow down: %s", chat_id, error)

    async def _drain(self, chat_id: int, chat: _Chat) -> None:
        """Run the chat's queue in order, in this update's task (which PTB waits for at stop),
        each update in a slot taken for it alone; while the chat waits for a slot, its next
        update stays in the queue, where an identical command is still folded into it."""
        chat.busy = True
        try:
            while chat.waiting:
                async with self._slots:
                    coroutine = chat.waiting.popleft().coroutine
                    try:
                        await coroutine
                    except Exception:  # PTB handles a handler's errors; this is PTB's own failure
                        logger.exception("an update of chat %s failed", chat_id)
        finally:
            chat.busy = False
            while chat.waiting:  # cancelled: what never started is closed, not left to warn
                _close(chat.waiting.popleft().coroutine)


def _chat_id(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


def _answered(update: Update) -> bool:
    """Whether a handler answers the message: a command anywhere, or text in a private chat."""
    message = update.message or update.channel_post
    if message is None or message.text is None:
        return False
    return message.text.startswith("/") or message.chat.type == Chat.PRIVATE


def _command(update: Update) -> str | None:
    """A command's whole text, by which an identical waiting one makes it redundant."""
    message = update.message or update.channel_post
    text = message.text if message is not None else None
    return text.strip() if text is not None and text.startswith("/") else None


def _close(coroutine: Awaitable[Any]) -> None:
    """A coroutine that will never run is closed, so Python does not warn it was not awaited."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
