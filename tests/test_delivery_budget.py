"""Telegram's overall budget: replies go before alerts, and neither goes past the rate."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.delivery import ChatLimiter, Terms
from bot.delivery.budget import Budget

RATE = 50
RESERVE = 5
TURNS = 2
REPLY_CHAT = 10_000
ALERT = Terms(rate_limits=0, outages=False, alert=True)


async def _taken(budget: Budget, count: int, *, alert: bool) -> None:
    for _ in range(count):
        await budget.take(alert=alert)


async def test_alerts_leave_the_reserve_free_and_a_reply_takes_it_at_once() -> None:
    budget = Budget(RATE, reserve=RESERVE, turns=TURNS)
    await asyncio.wait_for(_taken(budget, RATE - RESERVE, alert=True), 0.5)  # a burst, no wait
    blocked = asyncio.create_task(budget.take(alert=True))
    await asyncio.sleep(0)  # let it run up to its wait
    assert not blocked.done()  # the last RESERVE messages are not the alerts'
    await asyncio.wait_for(_taken(budget, RESERVE, alert=False), 0.5)  # replies: no wait
    await asyncio.wait_for(blocked, 5)  # the alert goes once the bucket has leaked


async def test_a_waiting_reply_goes_before_alerts_that_waited_longer() -> None:
    budget = Budget(RATE, reserve=0, turns=TURNS)  # the order alone puts the reply first
    await _taken(budget, RATE, alert=False)  # the whole bucket: everyone waits now
    order: list[str] = []

    async def take(name: str, *, alert: bool) -> None:
        await budget.take(alert=alert)
        order.append(name)

    alerts = [asyncio.create_task(take(f"alert {n}", alert=True)) for n in range(3)]
    await asyncio.sleep(0)
    reply = asyncio.create_task(take("reply", alert=False))
    await asyncio.wait_for(asyncio.gather(reply, *alerts), 5)
    assert order == ["reply", "alert 0", "alert 1", "alert 2"]


async def test_replies_from_many_chats_slow_alerts_but_never_stop_them() -> None:
    """Replies first without a bound: a crowd sending commands would stop every alert."""
    budget = Budget(RATE, reserve=RESERVE, turns=TURNS)
    await _taken(budget, RATE, alert=False)
    order: list[str] = []

    async def take(name: str, *, alert: bool) -> None:
        await budget.take(alert=alert)
        order.append(name)

    alerts = [asyncio.create_task(take("alert", alert=True)) for _ in range(3)]
    await asyncio.sleep(0)
    replies = [asyncio.create_task(take("reply", alert=False)) for _ in range(6)]
    await asyncio.wait_for(asyncio.gather(*alerts, *replies), 5)
    assert order == ["reply", "reply", "alert"] * 3


async def test_the_rate_holds_for_replies_and_alerts_together() -> None:
    """A second's burst, then `rate` a second: 2 x RATE messages take about a second."""
    budget = Budget(RATE, reserve=RESERVE, turns=TURNS)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.gather(_taken(budget, RATE, alert=True), _taken(budget, RATE, alert=False))
    assert loop.time() - began >= (RATE - 1) / RATE * 0.95


async def test_a_reply_overtakes_alerts_queued_in_the_limiter() -> None:
    """With one first-come queue, a reply sent while a poll's alerts waited for Telegram's
    overall limit waited behind all of them (~350 ms in `bench.responsiveness`)."""
    limiter = ChatLimiter(overall_per_second=RATE)
    sent: list[int] = []

    def request(chat: int, terms: Terms | None) -> Any:
        async def callback() -> None:
            sent.append(chat)

        data = {"chat_id": chat}
        return limiter.process_request(callback, (), {}, "sendMessage", data, terms)

    alerts = [asyncio.create_task(request(chat, ALERT)) for chat in range(1, 3 * RATE)]
    while len(sent) < RATE - RESERVE:  # noqa: ASYNC110 - steps the loop until the burst went
        await asyncio.sleep(0)
    await asyncio.wait_for(request(REPLY_CHAT, None), 0.5)
    assert (
        sent.index(REPLY_CHAT) == RATE - RESERVE
    )  # right after the alerts' burst, ahead of the rest
    for task in alerts:
        task.cancel()
    await asyncio.gather(*alerts, return_exceptions=True)
