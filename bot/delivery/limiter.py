"""Telegram's send limits for every request of the bot (PTB's rate limiter), with a 429 held
against the one chat it was for.

PTB's `AIORateLimiter` keeps Telegram's overall 30 messages a second and 20 a minute to a group
or channel, but any 429 (`RetryAfter`) stops every request of the bot until it is waited out:
a chat that floods the bot would hold back every other chat's replies and every alert.
`ChatLimiter` keeps both limits and waits a 429 out only for the chat the request was sent to.
The overall pace keeps the bot under its bot-wide budget, so a 429 that names a chat is that
chat's own limit (about one message a second in a private chat). A 429 for a request that
names no chat can only be the bot's, and still holds everything.

A request allowed no retries (the alert sender's, which reschedules a held chat itself) never
waits for a held chat: it gets the 429 at once, as Telegram would answer it. Alerts take the
overall budget only after replies (`budget`). `PatientLimiter`, the one the bot uses, also waits
out an outage for the bot's replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.answers import retry_seconds
from bot.delivery.budget import Budget
from bot.delivery.pacing import CHAT_GAP, GROUP_PER_MINUTE, MAX_BACKOFF, MIN_BACKOFF

__all__ = ["ChatLimiter", "PatientLimiter", "Terms"]

logger = logging.getLogger(__name__)

MAX_GROUP_LIMITERS = 512
"""Group limiters kept before idle ones (a full minute's allowance left) are forgotten."""
RETRY_MARGIN = 0.1
"""Seconds added to Telegram's `retry_after`, as PTB does, so the retry is not a hair early."""
REPLY_RESERVE = 5
"""Messages of the overall budget that alerts leave free, so that replies to a few people at
once go without waiting even while alerts use all the rest."""
REPLY_TURNS = 2
"""Replies that go in a row before a waiting alert's turn: however many chats send commands,
alerts keep a third of the budget (10 a second)."""

_Chat = int | str | None
"""A request's chat: its id, a channel's @username, or None for requests that name none."""


@dataclass(frozen=True, slots=True)
class Terms:
    """How a request is sent (PTB's `rate_limit_args` for these limiters): up to `rate_limits`
    waits on a 429; with `outages`, network errors and 5xx waited out (`PatientLimiter`); as an
    `alert`, behind every reply in Telegram's overall budget."""

    rate_limits: int = 3
    outages: bool = True
    alert: bool = False


@dataclass(slots=True)
class _Hold:
    """A chat Telegram refused with a 429. Its requests take turns through `gate`, in the order
    they came, the first at `until` and each next one `CHAT_GAP` after the previous went: all
    leaving together when the wait ends would only earn the next 429. A request refused again
    keeps its turn (it waits inside the gate). The hold ends once no request holds or waits for
    the gate and the chat has been quiet for a gap."""

    until: float
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)


class ChatLimiter(BaseRateLimiter[Terms | int]):
    """Paces requests at Telegram's overall and per-group rates, replies before alerts, and
    retries a 429 up to `max_retries` times (or as the request's `rate_limit_args` say), holding
    back only its chat; a request allowed no retries is refused at once while its chat is held."""

    def __init__(
        self,
        *,
        max_retries: int = 0,
        overall_per_second: float = FloodLimit.MESSAGES_PER_SECOND,
        group_per_minute: float = GROUP_PER_MINUTE,
    ) -> None:
        self._max_retries = max_retries
        self._overall = Budget(overall_per_second, reserve=REPLY_RESERVE, turns=REPLY_TURNS)
        self._group_rate = group_per_minute
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._held: dict[int | str, _Hold] = {}
        self._bot_held = 0.0
        """Until when (monotonic) a 429 for a request that names no chat holds every request."""

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Terms | int | None,
    ) -> Any:
        terms = self._terms(rate_limit_args)
        retries = terms.rate_limits
        chat = _chat(data.get("chat_id"))
        attempt = 0
        while True:
            hold = self._current_hold(chat)
            if hold is not None and not retries:
                _refuse_while_held(hold)
            async with hold.gate if hold is not None else contextlib.nullcontext():
                while True:
                    await self._wait_out(hold)
                    try:
                        async with self._group(chat):
                            if chat is not None:  # Telegram's overall limit counts messages
                                await self._overall.take(alert=terms.alert)
                            result = await callback(*args, **kwargs)
                    except RetryAfter as error:
                        seconds = retry_seconds(error) + RETRY_MARGIN
                        self._hold(chat, seconds)
                        if attempt >= retries:
                            raise
                        attempt += 1
                        logger.info(
                            "%s: Telegram asked to wait %.1f s (chat %s)", endpoint, seconds, chat
                        )
                        if hold is None and chat is not None:
                            break  # the chat is held from now on: take a turn at its gate
                        continue  # keep this request's turn
                    if hold is not None:
                        hold.until = time.monotonic() + CHAT_GAP  # the next one waits its turn
                    return result

    def _terms(self, rate_limit_args: Terms | int | None) -> Terms:
        if isinstance(rate_limit_args, Terms):
            return rate_limit_args
        return Terms(self._max_retries if rate_limit_args is None else rate_limit_args)

    def _current_hold(self, chat: _Chat) -> _Hold | None:
        """The chat's hold, unless nobody is at its gate and it has been over for a gap (then
        the chat is free again)."""
        if chat is None:
            return None
        hold = self._held.get(chat)
        if hold is not None and not _in_use(hold, time.monotonic()):
            del self._held[chat]
            return None
        return hold

    async def _wait_out(self, hold: _Hold | None) -> None:
        """Until neither the whole bot nor this chat is held (a hold may grow meanwhile)."""
        while True:
            until = max(self._bot_held, hold.until if hold is not None else 0.0)
            delay = until - time.monotonic()
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    def _hold(self, chat: _Chat, seconds: float) -> None:
        now = time.monotonic()
        if chat is None:
            self._bot_held = max(self._bot_held, now + seconds)
            return
        self._held = {c: h for c, h in self._held.items() if _in_use(h, now)}
        hold = self._held.setdefault(chat, _Hold(now))
        hold.until = max(hold.until, now + seconds)

    def _group(self, chat: _Chat) -> AbstractAsyncContextManager[Any]:
        """A group's or channel's own limit (negative ids and @usernames; users are positive)."""
        if chat is None or (isinstance(chat, int) and chat > 0) or not self._group_rate:
            return contextlib.nullcontext()
        if chat not in self._groups and len(self._groups) >= MAX_GROUP_LIMITERS:
            idle = [
                g for g, limiter in self._groups.items() if limiter.has_capacity(limiter.max_rate)
            ]
            for group in idle:
                del self._groups[group]
        limiter = self._groups.get(chat)
        if limiter is None:
            limiter = self._groups[chat] = AsyncLimiter(self._group_rate, 60)
        return limiter


class PatientLimiter(ChatLimiter):
    """The bot's rate limiter (Telegram's 30/s and 20/min a group, a 429 waited out by its chat
    alone, or refused at once to a request allowed no retries, such as the sender's) that also
    waits out an outage for the bot's replies: a command answered while Telegram is down is
    sent once it is back (backoff up to `MAX_BACKOFF`, for `patience` seconds), not lost.

    `close()` ends the waiting at shutdown, so a stop never hangs on a reply.
    """

    RETRIED = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})

    def __init__(self, *, max_retries: int = 3, patience: float = 600.0) -> None:
        super().__init__(max_retries=max_retries)
        self._patience = patience
        self._closing = asyncio.Event()

    def close(self) -> None:
        self._closing.set()

    async def process_request(
        self,
        callback: Callable[..., Any],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Terms | int | None,
    ) -> Any:
        terms = self._terms(rate_limit_args)
        deadline = time.monotonic() + self._patience
        delay = MIN_BACKOFF
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, terms)
            except NetworkError as error:
                if (
                    not terms.outages
                    or endpoint not in self.RETRIED
                    or self._closing.is_set()
                    or time.monotonic() + delay > deadline
                ):
                    raise
                logger.warning("%s failed (%s); trying again in %.1f s", endpoint, error, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
            delay = min(MAX_BACKOFF, delay * 2)


def _in_use(hold: _Hold, now: float) -> bool:
    """A request holds or waits for the gate, or the chat was sent to less than a gap ago."""
    return hold.gate.locked() or hold.until + CHAT_GAP > now


def _refuse_while_held(hold: _Hold) -> None:
    """A request that may not wait gets the 429 Telegram would give it, without asking."""
    now = time.monotonic()
    if hold.gate.locked() or hold.until > now:
        raise RetryAfter(timedelta(seconds=max(CHAT_GAP, math.ceil(hold.until - now))))


def _chat(value: object) -> _Chat:
    if value is None:
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)
