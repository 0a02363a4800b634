"""Telegram's send limits, with a 429 held against the one chat it was for.

PTB's `AIORateLimiter` keeps Telegram's overall 30 messages a second and 20 a minute to a group
or channel, but any 429 (`RetryAfter`) stops every request of the bot until it is waited out:
a chat that floods the bot would hold back every other chat's replies and every alert.
`ChatLimiter` keeps both limits and waits a 429 out only for the chat the request was sent to.
The overall pace keeps the bot under its bot-wide budget, so a 429 that names a chat is that
chat's own limit (about one message a second in a private chat). A 429 for a request that
names no chat can only be the bot's, and still holds everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

__all__ = ["ChatLimiter", "retry_seconds"]

logger = logging.getLogger(__name__)

MAX_GROUP_LIMITERS = 512
"""Group limiters kept before idle ones (a full minute's allowance left) are forgotten."""
CHAT_GAP = 1.0
"""Seconds between requests to a chat after Telegram held it: its pace for one chat."""
RETRY_MARGIN = 0.1
"""Seconds added to Telegram's `retry_after`, as PTB does, so the retry is not a hair early."""

_Chat = int | str | None
"""A request's chat: its id, a channel's @username, or None for requests that name none."""


class ChatLimiter(BaseRateLimiter[int]):
    """Paces requests at Telegram's overall and per-group rates and retries a 429 up to
    `max_retries` times (or the request's `rate_limit_args`), holding back only its chat."""

    def __init__(
        self,
        *,
        max_retries: int = 0,
        overall_per_second: float = FloodLimit.MESSAGES_PER_SECOND,
        group_per_minute: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
    ) -> None:
        self._max_retries = max_retries
        self._overall = AsyncLimiter(overall_per_second, 1)
        self._group_rate = group_per_minute
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._held: dict[_Chat, float] = {}
        """Chats held after a 429, and until when (monotonic); None holds every chat."""

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
        rate_limit_args: int | None,
    ) -> Any:
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        chat = _chat(data.get("chat_id"))
        attempt = 0
        while True:
            await self._wait_out(chat)
            try:
                async with self._group(chat), self._pace(chat):
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt >= retries:
                    raise
                attempt += 1
                seconds = retry_seconds(error) + RETRY_MARGIN
                self._hold(chat, seconds)
                logger.info("%s: Telegram asked to wait %.1f s (chat %s)", endpoint, seconds, chat)

    async def _wait_out(self, chat: _Chat) -> None:
        """Wait while the bot or this chat is held. After a hold a chat's requests go one at a
        time, `CHAT_GAP` apart, until the chat has had a quiet gap: all of them leaving at once
        when the hold ends would only earn the next 429."""
        while True:
            now = time.monotonic()
            until = max(self._held.get(None, 0.0), self._held.get(chat, 0.0))
            if until > now:
                await asyncio.sleep(until - now)
                continue
            if chat is not None and chat in self._held:
                if now < until + CHAT_GAP:
                    self._held[chat] = now + CHAT_GAP  # this one goes, the next waits its turn
                else:
                    del self._held[chat]
            return

    def _hold(self, chat: _Chat, seconds: float) -> None:
        now = time.monotonic()
        self._held = {c: u for c, u in self._held.items() if u + CHAT_GAP > now}
        self._held[chat] = max(self._held.get(chat, 0.0), now + seconds)

    def _pace(self, chat: _Chat) -> AbstractAsyncContextManager[Any]:
        """Telegram's overall limit counts messages, that is requests sent to a chat."""
        return self._overall if chat is not None else contextlib.nullcontext()

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


def _chat(value: object) -> _Chat:
    if value is None:
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)


def retry_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, whether PTB gives it as seconds or as a timedelta."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
