"""Telegram's 429 holds back only the chat it was for."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.config import Settings
from bot.delivery import CHAT_GAP, CONCURRENCY, ChatLimiter
from fakes import FakeTelegram
from tests.conftest import BotHarness, until
from tests.test_delivery import _alerts, _outbox, _queue, _report, _watchers

USER = 1001
OTHER = 1002
CHAT = 5


def _skip_ahead(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """The limiter's clock, moved ahead on demand (asyncio's sleeps keep real time)."""
    offset = [0.0]
    clock = SimpleNamespace(monotonic=lambda: time.monotonic() + offset[0])
    monkeypatch.setattr("bot.delivery.limiter.time", clock)
    return lambda seconds: offset.__setitem__(0, offset[0] + seconds)


def _send(limiter: ChatLimiter, name: str, script: list[Any], log: list[str]) -> Any:
    """A request to CHAT whose tries answer as `script` says: an exception to raise, an event
    to wait for, or nothing (sent). `log` gets "<name> tries" and "<name> sent"."""

    async def callback() -> None:
        log.append(f"{name} tries")
        step = script.pop(0) if script else None
        if isinstance(step, Exception):
            raise step
        if isinstance(step, asyncio.Event):
            await step.wait()
        log.append(f"{name} sent")

    return limiter.process_request(callback, (), {}, "sendMessage", {"chat_id": CHAT}, None)


def _refused() -> RetryAfter:
    return RetryAfter(timedelta(seconds=0))


async def test_a_429_for_one_chat_does_not_delay_a_reply_to_another(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    """PTB's own limiter held every request of the bot until a 429 was waited out."""
    telegram.per_chat_burst = 1
    telegram.per_chat_rate = 0.05  # after one message, a chat waits 20 s: twice any wait below
    mark, requests = telegram.mark(), telegram.request_mark()
    telegram.push_message(USER, "/help")
    telegram.push_message(USER, "/start")
    await telegram.wait_for_request("sendMessage", since=requests, status=429)  # USER's /start

    telegram.push_message(OTHER, "/help")
    [answer] = await telegram.wait_for_sent(since=mark, chat_id=OTHER, timeout=10)
    to_user = [r for r in telegram.sent[mark:] if r.chat_id == USER]
    assert len(to_user) == 1  # USER's second reply is still waiting out its 429

    later = await telegram.wait_for_sent(since=mark, chat_id=USER, count=2, timeout=40)
    assert later[1].time > answer.time


async def test_chats_held_by_429s_do_not_delay_alerts_to_other_chats(
    bot_harness: BotHarness, telegram: FakeTelegram, settings: Settings
) -> None:
    """The sender let the limiter wait out each 429 in a send slot, so as many held chats as
    slots stalled every alert; and a private chat's 429 paused every chat's alerts."""
    telegram.per_chat_burst = 1
    telegram.per_chat_rate = 0.05  # a chat's second alert is refused for 20 s
    held, free = list(range(2001, 2001 + CONCURRENCY)), 3001
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, [*held, free])
    requests = telegram.request_mark()
    await _queue(bot_harness, [_report("first"), _report("second")], held)

    def refused() -> int:
        return sum(1 for r in telegram.requests[requests:] if r.status == 429)

    await until(lambda: refused() >= len(held), "every held chat's second alert refused")
    mark = telegram.mark()
    await _queue(bot_harness, [_report("other")], [free])
    [alert] = await telegram.wait_for_sent(since=mark, chat_id=free, timeout=10)
    assert "other" in alert.text
    assert not [r for r in _alerts(telegram, mark) if r.chat_id in held]

    def statuses() -> Counter[str]:
        return Counter(status for chat, _, status, _ in _outbox(settings) if chat in held)

    expected = {"sent": len(held), "pending": len(held)}  # the second alerts wait, not lost
    await until(lambda: statuses() == expected, f"{expected} in the outbox")


async def test_a_request_refused_again_keeps_its_turn_in_its_chat() -> None:
    """A retry left the chat's gate and rejoined behind the requests that came after it."""
    limiter, log = ChatLimiter(max_retries=3), []
    first = asyncio.create_task(_send(limiter, "first", [_refused(), _refused()], log))
    while "first tries" not in log:  # noqa: ASYNC110 - steps the loop until the task has run
        await asyncio.sleep(0)  # until the chat is held
    second = asyncio.create_task(_send(limiter, "second", [], log))
    await asyncio.gather(first, second)
    assert [line for line in log if line.endswith("sent")] == ["first sent", "second sent"]


async def test_a_chat_stays_held_while_a_slow_request_is_at_its_gate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A hold was forgotten a gap after its time even while its request was still in flight,
    so the next request skipped the queue (and earned the next 429)."""
    skip_ahead = _skip_ahead(monkeypatch)
    limiter, log, answered = ChatLimiter(max_retries=3), [], asyncio.Event()
    first = asyncio.create_task(_send(limiter, "first", [_refused(), answered], log))
    while log.count("first tries") < 2:  # noqa: ASYNC110 - until the task's retry is in flight
        await asyncio.sleep(0.01)  # until its retry is in flight
    skip_ahead(10 * CHAT_GAP)  # the request is slower than a gap
    second = asyncio.create_task(_send(limiter, "second", [], log))
    await asyncio.sleep(0)
    answered.set()
    await asyncio.gather(first, second)
    assert log.index("second tries") > log.index("first sent")
