"""Telegram's overall budget of about 30 messages a second, shared by replies and alerts, with
replies first.

Someone who sends a command is waiting for its reply; an alert that leaves a fraction of a
second later is not noticed. With one first-come queue, a poll that queued 400 alerts made every
reply wait about 350 ms behind them (`bench.responsiveness`). Here an alert leaves only while
`reserve` messages of the bucket stay free, so a reply goes at once unless more than `reserve`
come together, and a waiting reply goes before waiting alerts. Not always, though: once
`turns` replies in a row went while alerts waited, the next message is an alert's, so that
people sending commands from many chats can slow the alerts to a third of the budget, never
stop them.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["Budget"]


class Budget:
    """A leaky bucket of `rate` messages a second that holds a second's burst (as aiolimiter's
    `AsyncLimiter(rate, 1)`), with two queues: replies, and behind them alerts, which may not
    take the bucket's last `reserve` messages unless it is their turn after `turns` replies."""

    def __init__(self, rate: float, *, reserve: int, turns: int) -> None:
        if rate < reserve + 1:
            raise ValueError(f"a budget of {rate} a second leaves no room beside {reserve} kept")
        self._rate = rate
        self._reserve = reserve
        self._turns = turns
        self._run = 0
        """Replies that went in a row while alerts waited."""
        self._level = 0.0
        self._checked = 0.0
        self._replies: deque[asyncio.Future[None]] = deque()
        self._alerts: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    async def take(self, *, alert: bool) -> None:
        """One message of the budget, when the budget and the requests ahead allow it."""
        alerts_turn = bool(self._alerts) and self._run >= self._turns
        ahead = self._replies or (self._alerts if alert else alerts_turn)
        if not ahead and self._room(alert=alert):
            self._went(alert=alert)
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
        """Let waiting requests go, in turn, as far as the budget allows."""
        self._timer = None
        while (queue := self._next()) is not None and self._room(alert=self._reserved(queue)):
            queue.popleft().set_result(None)
            self._went(alert=queue is self._alerts)
        self._schedule()

    def _went(self, *, alert: bool) -> None:
        self._level += 1
        self._run = self._run + 1 if not alert and self._alerts else 0

    def _next(self) -> deque[asyncio.Future[None]] | None:
        """The queue whose first request goes next: replies', unless alerts have waited through
        `turns` replies in a row (requests given up are dropped first)."""
        for queue in (self._replies, self._alerts):
            while queue and queue[0].done():
                queue.popleft()
        if self._replies and not (self._alerts and self._run >= self._turns):
            return self._replies
        return self._alerts or None

    def _reserved(self, queue: deque[asyncio.Future[None]]) -> bool:
        """Whether `reserve` binds the queue's first request: an alert's, unless it is the
        alerts' turn over waiting replies."""
        return queue is self._alerts and not self._replies

    def _schedule(self) -> None:
        """Wake `_grant` when the next request in line will have room."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        queue = self._next()
        if queue is None:
            return
        self._leak()
        limit = self._rate - (self._reserve if self._reserved(queue) else 0)
        delay = max(0.0, (self._level + 1 - limit) / self._rate)
        self._timer = asyncio.get_running_loop().call_later(delay, self._grant)
