"""Every tap is answered: unknown data, messages the bot cannot see, and one-time tokens."""

from __future__ import annotations

import logging
import time

import pytest

from handlers import buttons
from handlers.buttons import EXPIRED, issue_token, redeem_token
from tests.conftest import BotHarness

USER = 1001


@pytest.mark.parametrize("data", ["garbage", "unwatch", "forget", "x" * 64, "🔥", "<b>&amp;"])
async def test_a_tap_with_unknown_data_is_answered_as_expired(
    bot_harness: BotHarness, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    [message] = await bot_harness.send(USER, "/help")
    with caplog.at_level(logging.WARNING):
        await bot_harness.tap(USER, message.message_id, data)
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == EXPIRED
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("shape", ["inline", "inaccessible"])
async def test_a_tap_on_a_message_the_bot_cannot_see_is_answered_quietly(
    bot_harness: BotHarness, shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [menu] = await bot_harness.send(USER, "/unwatch")
    unwatch = menu.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    [question] = await bot_harness.send(USER, "/forget")
    yes = question.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    with caplog.at_level(logging.WARNING):
        for message_id, data in ((menu.message_id, unwatch), (question.message_id, yes)):
            await bot_harness.tap(USER, message_id, data, shape=shape)
            assert bot_harness.telegram.answered_callbacks[-1]["text"] == EXPIRED
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    chat = bot_harness.store.chats.get(USER)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.keywords == ["Lachin"]


async def test_known_buttons_still_reach_their_handlers(bot_harness: BotHarness) -> None:
    """The catch-all is registered last: it must not shadow the /unwatch buttons."""
    await bot_harness.send(USER, "/watch Lachin, Karabakh")
    [menu] = await bot_harness.send(USER, "/unwatch")
    data = menu.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    await bot_harness.tap(USER, menu.message_id, data)
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == "Stopped watching Lachin"


def test_a_token_is_redeemed_once_for_its_own_action_only() -> None:
    chat_data: dict[str, object] = {}
    token = issue_token(chat_data, "forget")
    assert not redeem_token(chat_data, "other", token)
    assert not redeem_token(None, "forget", token)
    assert redeem_token(chat_data, "forget", token)
    assert not redeem_token(chat_data, "forget", token)
    assert not redeem_token({}, "forget", token)


def test_tokens_expire_and_a_chat_keeps_only_its_newest(monkeypatch: pytest.MonkeyPatch) -> None:
    chat_data: dict[str, object] = {}
    now = time.monotonic()
    monkeypatch.setattr(buttons, "monotonic", lambda: now)
    old = issue_token(chat_data, "forget")
    monkeypatch.setattr(buttons, "monotonic", lambda: now + buttons.TOKEN_LIFETIME_SECONDS)
    assert not redeem_token(chat_data, "forget", old)
    tokens = [issue_token(chat_data, "forget") for _ in range(buttons.MAX_TOKENS_PER_CHAT + 1)]
    assert not redeem_token(chat_data, "forget", tokens[0])
    assert all(redeem_token(chat_data, "forget", t) for t in tokens[1:])
    assert len({*tokens}) == len(tokens)
    assert all(len(t.encode()) <= 16 for t in tokens)


OTHER = 1002


async def _unwatch_buttons(harness: BotHarness, chat_id: int) -> tuple[int, dict[str, str]]:
    [menu] = await harness.send(chat_id, "/unwatch")
    rows = menu.reply_markup["inline_keyboard"]  # type: ignore[index]
    return menu.message_id, {b["text"]: b["callback_data"] for row in rows for b in row}


async def test_a_button_works_only_in_the_chat_it_was_sent_to(bot_harness: BotHarness) -> None:
    """Its data was a digest of the keyword alone, so another chat's button removed it here."""
    for chat_id in (USER, OTHER):
        await bot_harness.send(chat_id, "/watch Lachin, Karabakh")
    menu, mine = await _unwatch_buttons(bot_harness, USER)
    _, theirs = await _unwatch_buttons(bot_harness, OTHER)
    assert mine["✖ Lachin"] != theirs["✖ Lachin"]
    assert all(len(data.encode()) <= 64 for data in [*mine.values(), *theirs.values()])
    for forged in (theirs["✖ Lachin"], "unwatch:" + "0" * 16, mine["✖ Lachin"][:-1] + "A"):
        await bot_harness.tap(USER, menu, forged)
        assert bot_harness.telegram.answered_callbacks[-1]["text"] == EXPIRED
    chat = bot_harness.store.chats.get(USER)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.keywords == ["Lachin", "Karabakh"]
    await bot_harness.tap(USER, menu, mine["✖ Lachin"])
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == "Stopped watching Lachin"


async def test_a_button_still_works_after_a_restart(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin, Karabakh")
    menu, buttons = await _unwatch_buttons(bot_harness, USER)
    await bot_harness.stop()
    await bot_harness.start()
    await bot_harness.tap(USER, menu, buttons["✖ Karabakh"])
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == "Stopped watching Karabakh"
