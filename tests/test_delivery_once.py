"""An alert goes out once: the sender's reads of the outbox race its group commits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fakes import FakeTelegram
from tests.conftest import BotHarness
from tests.test_delivery import _alerts, _queue, _report, _swap_sender, _watchers
from watchers.models import Alert


async def test_an_alert_recorded_while_the_outbox_is_read_is_not_sent_again(
    bot_harness: BotHarness, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read of the outbox that begins while an alert is in flight lists it as pending; its
    send may be recorded (and its claim freed) before the read returns, as happened under load
    in the test above. That stale row must not be sent again."""
    store = bot_harness.store
    assert store is not None
    await _watchers(store, [2001])
    read, finish = store.outbox.pending, store.outbox.finish
    in_flight_read, recorded, read_after = asyncio.Event(), asyncio.Event(), asyncio.Event()
    listings = 0

    async def pending_alerts(*args: Any, **kwargs: Any) -> list[Alert]:
        nonlocal listings
        due = await read(*args, **kwargs)
        if recorded.is_set():
            read_after.set()  # the pass holding the stale row has ended
        elif due:
            listings += 1
            if listings == 2:  # the first listing sent it; this one read it while in flight
                in_flight_read.set()
                await asyncio.wait_for(recorded.wait(), 10)
        return due

    async def finish_alerts(outcomes: Any) -> None:
        await asyncio.wait_for(in_flight_read.wait(), 10)
        await finish(outcomes)
        recorded.set()

    sender = await _swap_sender(bot_harness, chat_gap=0.0)
    monkeypatch.setattr(store.outbox, "pending", pending_alerts)
    monkeypatch.setattr(store.outbox, "finish", finish_alerts)
    await _queue(bot_harness, [_report("a")], [2001])
    await asyncio.wait_for(read_after.wait(), 10)
    await sender.stop()  # waits for any send it started
    assert [r.chat_id for r in _alerts(telegram)] == [2001]
