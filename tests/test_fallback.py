"""Unknown commands and errors: a clear answer to the user, a log line for the operator."""

from __future__ import annotations

import asyncio
import logging

import pytest

from handlers.fallback import HINT, HINTS_REMEMBERED, SORRY, _hint_due
from tests.conftest import BotHarness

USER = 1001
GROUP = -2001
CHANNEL = -1002001


async def test_unknown_command_points_to_help(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/frobnicate now")
    assert answer.text == "I don't know the command /frobnicate. Send /help to see what I can do."


async def test_unknown_command_is_escaped(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/x<b>")
    assert "/x<b>" in answer.text
    assert "&lt;b&gt;" in answer.raw_text


async def test_unknown_command_for_another_bot_is_ignored_in_groups(
    bot_harness: BotHarness,
) -> None:
    telegram = bot_harness.telegram
    mark = telegram.mark()
    telegram.push_message(GROUP, "/roll", user_id=5, chat_type="group")
    telegram.push_message(GROUP, "/roll@dicebot", user_id=5, chat_type="group")
    [answer] = await bot_harness.send(
        GROUP, "/roll@newswatch_test_bot", user_id=5, chat_type="group"
    )
    assert "I don't know the command /roll" in answer.text
    assert len([r for r in telegram.sent[mark:] if r.chat_id == GROUP]) == 1


async def test_a_failing_handler_is_logged_and_the_user_told(
    bot_harness: BotHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = bot_harness.store
    assert store is not None

    def broken(chat_id: int) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(store.chats, "get", broken)
    with caplog.at_level(logging.ERROR):
        [answer] = await bot_harness.send(USER, "/list")
    assert "something went wrong" in answer.text
    assert any(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in caplog.records)
    monkeypatch.undo()
    [after] = await bot_harness.send(USER, "/list")  # the bot is still alive
    assert "/start" in after.text


async def test_a_blocked_chat_does_not_stop_the_bot(
    bot_harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = bot_harness.telegram
    telegram.block_chat(USER)
    with caplog.at_level(logging.ERROR):
        telegram.push_message(USER, "/help")
        for _ in range(100):
            if any("Forbidden" in repr(r.exc_info) for r in caplog.records if r.exc_info):
                break
            await asyncio.sleep(0.02)
    assert any("blocked" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    [answer] = await bot_harness.send(USER + 1, "/help")
    assert "Commands" in answer.text


async def test_a_huge_unknown_command_is_quoted_back_short(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/" + "z" * 4000)
    assert answer.text.startswith("I don't know the command /zzz")
    assert len(answer.text) < 200


async def test_a_failing_button_is_answered_and_logged(
    bot_harness: BotHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tap whose handler fails before answering still stops its spinner, with the apology."""
    store = bot_harness.store
    assert store is not None
    await bot_harness.send(USER, "/watch Lachin")
    [menu] = await bot_harness.send(USER, "/unwatch")
    data = menu.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]

    def broken(chat_id: int) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(store.chats, "get", broken)
    with caplog.at_level(logging.ERROR):
        await bot_harness.tap(USER, menu.message_id, data)
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == SORRY
    assert any(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in caplog.records)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("watch Lachin", 'Commands start with "/": try /watch Lachin.'),
        ("Latest  Karabakh,\nShusha", 'Commands start with "/": try /latest Karabakh, Shusha.'),
        ("Lachin", HINT),
        ("hello, is this thing on?", HINT),
    ],
)
async def test_plain_text_in_a_private_chat_gets_a_one_line_hint(
    bot_harness: BotHarness, text: str, hint: str
) -> None:
    [answer] = await bot_harness.send(USER, text)
    assert answer.text == hint


async def test_the_general_hint_comes_once_while_chatting_on(bot_harness: BotHarness) -> None:
    """Random chatter from many chats must not turn into as many replies."""
    [first] = await bot_harness.send(USER + 1, "hello")
    assert first.text == HINT
    bot_harness.telegram.push_message(USER + 1, "anyone there?")
    [after] = await bot_harness.send(USER + 1, "/help")
    assert "/watch" in after.text
    assert after.text != HINT


async def test_a_command_word_without_its_slash_is_echoed_escaped(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "watch <b>Lachin</b> & \u202eShusha")
    assert answer.text == 'Commands start with "/": try /watch <b>Lachin</b> & Shusha.'
    assert "<code>/watch &lt;b&gt;Lachin&lt;/b&gt; &amp; Shusha</code>" in answer.raw_text


async def test_plain_text_in_groups_and_channels_gets_no_answer(bot_harness: BotHarness) -> None:
    """There people talk to each other: the bot answers commands only."""
    telegram = bot_harness.telegram
    mark = telegram.mark()
    telegram.push_message(GROUP, "watch Lachin", user_id=5, chat_type="group")
    telegram.push_channel_post(CHANNEL, "watch Lachin")
    telegram.push_channel_post(CHANNEL, "/help")
    [group_answer] = await bot_harness.send(GROUP, "/help", user_id=5, chat_type="group")
    [channel_answer] = await telegram.wait_for_sent(since=mark, chat_id=CHANNEL)
    assert "Commands" in group_answer.text
    assert "Commands" in channel_answer.text
    assert [r.chat_id for r in telegram.sent[mark:]].count(GROUP) == 1
    assert [r.chat_id for r in telegram.sent[mark:]].count(CHANNEL) == 1


def test_the_hint_memory_stays_bounded_however_many_chats_write() -> None:
    hinted: dict[int, float] = {}
    assert all(_hint_due(hinted, chat_id) for chat_id in range(3 * HINTS_REMEMBERED))
    assert len(hinted) <= HINTS_REMEMBERED
    assert not _hint_due(hinted, 3 * HINTS_REMEMBERED - 1)  # a chat just hinted is not again
