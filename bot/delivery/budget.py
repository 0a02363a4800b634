"""Telegram's overall budget of about 30 messages a second, shared by replies and alerts, with
replies first.

Someone who sends a command is waiting for its reply; an alert that leaves a fraction of a
second later is not noticed. With one first-come queue, a poll that queued 400 alerts made every
reply wait about 350 ms behind them (`bench.responsiveness`). Here an alert leaves only while no
reply waits and `reserve` messages of the bucket stay free, so a reply goes at once unless
more than `reserve` come together, and then takes the next message the budget allows.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["Budget"]


class Budget:
    """A leaky bucket of `rate` messages a second that holds a second's burst (as aiolimiter's
    `AsyncLimiter(rate, 1)`), with two queues: replies, and behind them alerts, which may not
    take the bucket's last `reserve` messages."""

    def __init__(self, rate: float, *, reserve: int) -> None:
        self._rate = rate
        self._reserve = reserve
        self._level = 0.0
        self._checked = 0.0
        self._replies: deque[asyncio.Future[None]] = deque()
        self._alerts: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    async def take(self, *, alert: bool) -> None:
        """One message of the budget, when the budget and the requests ahead allow it."""
        ahead = (self._replies, self._alerts) if alert else (self._replies,)
        if not any(ahead) and self._room(alert=alert):
            self._level += 1
            return
        queue = self._alerts if alert else self._replies
        future = asyncio.get_running_loop().create_future()
        queue.append(future)
        self._schedule()
        try:
            await future
        except asyncio.CancelledError:
            if future in queue:
                queue.remove(future)
            elif not future.cancelled():  # granted, but its request was cancelled: give it back
                self._level = max(0.0, self._level - 1)
            self._schedule()
            raise

    def _room(self, *, alert: bool) -> bool:
        self._leak()
        return self._level + 1 <= self._rate - (self._reserve if alert else 0)

    def _leak(self) -> None:
        now = asyncio.get_running_loop().time()
        self._level = max(0.0, self._level - (now - self._checked) * self._rate)
        self._checked = now

    def _grant(self) -> None:
        """Let waiting requests go as far as the budget allows, replies first."""
        self._timer = None
        for queue, alert in ((self._replies, False), (self._alerts, True)):
            while queue and (not alert or not self._replies) and self._room(alert=alert):
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)
                    self._level += 1
        self._schedule()

    def _schedule(self) -> None:
        """Wake `_grant` when the first request in line will have room."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for queue in (self._replies, self._alerts):
            while queue and queue[0].done():
                queue.popleft()
        if not (self._replies or self._alerts):
            return
        self._leak()
        limit = self._rate - (0 if self._replies else self._reserve)
        delay = max(0.0, (self._level + 1 - limit) / self._rate)
        self._timer = asyncio.get_running_loop().call_later(delay, self._grant)
