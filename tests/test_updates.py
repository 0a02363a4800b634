"""Commands are scheduled fairly: chats side by side, each chat in order, a flood capped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from telegram import Bot, Chat, Message, Update
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.context import Context
from bot.updates import BURST, PER_SECOND, SLOW_DOWN, SWEEP_AT, TAP_SLOW_DOWN, FairUpdates
from fakes import FakeTelegram
from tests.conftest import BotHarness, until

USER = 1001
OTHER = 1002
CHANNEL = -100123


def _processor(harness: BotHarness) -> FairUpdates:
    assert harness.application is not None
    processor = harness.application.update_processor
    assert isinstance(processor, FairUpdates)
    return processor


@contextlib.asynccontextmanager
async def _hold(harness: BotHarness) -> AsyncIterator[asyncio.Event]:
    """A /hold command that answers "held" only once the test sets the event: it keeps its chat
    busy for as long as the test needs."""
    release = asyncio.Event()

    async def hold(update: Update, context: Context) -> None:
        await release.wait()
        assert update.effective_message is not None
        await update.effective_message.reply_text("held")
        raise ApplicationHandlerStop

    assert harness.application is not None
    harness.application.add_handler(CommandHandler("hold", hold), group=-1)
    try:
        yield release
    finally:
        release.set()


async def test_other_chats_are_answered_while_one_waits_and_each_chat_keeps_its_order(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    async with _hold(bot_harness) as release:
        mark = telegram.mark()
        telegram.push_message(USER, "/hold")
        telegram.push_message(USER, "/help")
        await bot_harness.send(OTHER, "/help")  # answered while USER's /hold runs
        assert not [r for r in telegram.sent[mark:] if r.chat_id == USER]  # /help waits its turn
        release.set()
        replies = await telegram.wait_for_sent(since=mark, chat_id=USER, count=2)
    assert [r.text.split("\n")[0] for r in replies] == ["held", "Commands"]


async def test_a_command_already_waiting_in_its_chat_is_not_queued_again(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    async with _hold(bot_harness) as release:
        mark = telegram.mark()
        telegram.push_message(USER, "/hold")
        for _ in range(5):
            telegram.push_message(USER, "/help")
        processor = _processor(bot_harness)
        await until(lambda: processor.stats["coalesced"] == 4, "four /help folded into one")
        release.set()
        replies = await telegram.wait_for_sent(since=mark, chat_id=USER, count=2)
    assert processor.stats["queued"] == 2
    assert [r.text.split("\n")[0] for r in replies] == ["held", "Commands"]


async def test_a_flooding_chat_is_told_once_its_excess_dropped_and_others_answered(
    bot_harness: BotHarness, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    telegram.per_chat_burst = 3  # Telegram's own limit in a chat: a burst, then one a second
    flood = 3 * BURST
    mark = telegram.mark()
    began = time.monotonic()
    async with _hold(bot_harness) as release:
        with caplog.at_level(logging.INFO, logger="bot.updates"):
            telegram.push_message(USER, "/hold")  # no reply to the flood until it is released
            for n in range(flood - 1):
                telegram.push_message(USER, f"/help {n}")
            [notice] = await telegram.wait_for_sent(
                lambda r: r.text == SLOW_DOWN, since=mark, chat_id=USER, timeout=10
            )
            processor = _processor(bot_harness)
            counts = processor.stats
            await until(
                lambda: counts["queued"] + counts["dropped"] == flood, "every update decided"
            )
            deciding = time.monotonic() - began
            queued, dropped = counts["queued"], counts["dropped"]  # before others add theirs

            await bot_harness.send(OTHER, "/help")  # while the flood waits for its first reply
            assert [r for r in telegram.sent[mark:] if r.chat_id == USER] == [notice]

            await bot_harness.tap(USER, notice.message_id, "unwatch:anything")  # not queued
            assert telegram.answered_callbacks[-1]["text"] == TAP_SLOW_DOWN

            release.set()
            replies = await telegram.wait_for_sent(
                since=mark, chat_id=USER, count=queued + 1, timeout=30
            )
    assert BURST <= queued <= BURST + 1 + deciding * PER_SECOND
    assert dropped == flood - queued
    assert [r.text for r in replies].count(SLOW_DOWN) == 1
    assert counts["notices"] == 1
    assert len(replies) == queued + 1  # nothing dropped was answered after all
    [log_line] = [r.getMessage() for r in caplog.records if r.name == "bot.updates"]
    assert f"chat {USER} floods" in log_line  # one line for the operator, not one a drop


def _update(number: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(number, datetime.now(UTC), chat, text="Lachin")
    return Update(number, message=message)


async def test_quiet_chats_are_forgotten_however_many_chats_write() -> None:
    now = [0.0]
    processor = FairUpdates(clock=lambda: now[0])
    most = 0
    for number in range(3 * SWEEP_AT):
        now[0] += 0.1  # ten new chats a second, each writing once
        await processor.process_update(_update(number, 10_000 + number), asyncio.sleep(0))
        most = max(most, processor.remembered)
    assert processor.stats["queued"] == 3 * SWEEP_AT
    assert most <= SWEEP_AT + 1  # a chat is remembered until its burst has refilled (10 s)


async def test_a_chat_waiting_for_a_slot_is_answered_between_busy_chats_and_floods_checked(
    telegram: FakeTelegram,
) -> None:
    """PTB's own bound was taken before the flood check and kept while a chat's queue drained:
    busy chats held every slot, others waited for a queue to empty, and a flood piled up."""
    processor = FairUpdates(concurrency=2)
    release = asyncio.Event()
    ran: list[int] = []

    async def handler(chat_id: int) -> None:
        await release.wait()
        ran.append(chat_id)

    busy = [USER, OTHER]
    async with Bot(telegram.token, base_url=telegram.base_url) as bot:
        tasks: list[asyncio.Task[None]] = []

        def push(chat_id: int, text: str) -> None:
            update = Update.de_json(telegram.push_message(chat_id, text), bot)
            task = processor.process_update(update, handler(chat_id))
            tasks.append(asyncio.create_task(task))

        for chat_id in busy:
            for n in range(BURST):
                push(chat_id, f"/help {n}")
        await until(lambda: processor.stats["queued"] == 2 * BURST, "both queues filled")
        for n in range(3 * BURST):  # a flood while both slots are taken
            push(USER, f"/latest {n}")
        counts = processor.stats
        await until(lambda: counts["queued"] + counts["dropped"] == 5 * BURST, "flood decided")
        await telegram.wait_for_sent(lambda r: r.text == SLOW_DOWN, chat_id=USER)
        push(1003, "/help")
        release.set()
        await asyncio.gather(*tasks)
    assert ran.index(1003) <= len(busy)  # after one handler a busy chat, not after its queue
    assert counts["dropped"] >= 2 * BURST - 1
    assert counts["notices"] == 1


async def test_a_channels_own_posts_cost_nothing_and_its_commands_are_answered(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    """The bot sees every post of a channel it posts alerts to: they used up the channel's
    burst, the bot told the channel to slow down, and its commands were dropped."""
    mark = telegram.mark()
    for n in range(3 * BURST):
        telegram.push_channel_post(CHANNEL, f"Convoy reaches Lachin, part {n}")
    telegram.push_channel_post(CHANNEL, "/help")
    [answer] = await telegram.wait_for_sent(since=mark, chat_id=CHANNEL)
    assert answer.text.startswith("Commands")
    assert _processor(bot_harness).stats["notices"] == 0
