"""End to end through the fake Bot API: /start, /help, /pause, /resume, /stop, /forget."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from fakes import SentRecord
from handlers import buttons, latest
from handlers.buttons import EXPIRED
from tests.conftest import BotHarness
from watchers.models import Report

USER = 1001
GROUP = -2001
ADMIN = 3001
MEMBER = 3002
EVERY_COMMAND = (
    "start",
    "watch",
    "unwatch",
    "list",
    "latest",
    "pause",
    "resume",
    "stop",
    "forget",
    "channel",
    "language",
    "help",
)


def _buttons(record: SentRecord) -> list[tuple[str, str]]:
    markup = record.reply_markup or {}
    return [
        (b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row
    ]


async def test_start_subscribes_and_shows_three_examples(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/start")
    assert "Newswatch" in answer.text
    assert answer.text.count("\n/") >= 3  # three example commands on their own lines
    chat = bot_harness.store.chats.get(USER)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.subscribed
    assert not chat.paused


async def test_help_lists_every_command_with_an_example(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/help")
    for name in EVERY_COMMAND:
        assert f"/{name} " in answer.text
    assert answer.text.count("e.g.") == len(EVERY_COMMAND)
    assert "/sources" not in answer.text  # only bot admins see it
    assert "While paused, matches wait in /latest." in answer.text
    assert "Past 10 messages at once, I answer about one a second" in answer.text


async def test_help_shows_admin_commands_to_admins(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(4242, "/help")
    assert "/sources" in answer.text


async def test_command_menu_is_set_at_start_up(bot_harness: BotHarness) -> None:
    names = [c["command"] for c in bot_harness.telegram.commands or []]
    assert set(EVERY_COMMAND) <= set(names)


async def test_pause_resume_keep_the_watchlist(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [paused] = await bot_harness.send(USER, "/pause")
    assert "paused" in paused.text
    [listing] = await bot_harness.send(USER, "/list")
    assert "Lachin" in listing.text
    assert "paused" in listing.text
    [resumed] = await bot_harness.send(USER, "/resume")
    assert "on again" in resumed.text
    chat = bot_harness.store.chats.get(USER)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.alerts_on
    assert chat.keywords == ["Lachin"]


async def test_stop_unsubscribes_and_start_restores_the_watchlist(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin, Karabakh")
    [stopped] = await bot_harness.send(USER, "/stop")
    assert "Unsubscribed" in stopped.text
    chat = bot_harness.store.chats.get(USER)  # type: ignore[union-attr]
    assert chat is not None
    assert not chat.subscribed
    assert chat.keywords == ["Lachin", "Karabakh"]
    [welcome] = await bot_harness.send(USER, "/start")
    assert welcome.text.startswith(
        "Welcome back: alerts are on again for your 2 watches:\n• Lachin\n• Karabakh\n"
    )
    chat = bot_harness.store.chats.get(USER)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.subscribed
    assert chat.keywords == ["Lachin", "Karabakh"]


async def test_start_names_a_long_kept_watchlist_briefly(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin, Karabakh, Shusha, Ganja, Tbilisi, Yerevan, Baku")
    await bot_harness.send(USER, "/stop")
    [welcome] = await bot_harness.send(USER, "/start")
    assert "alerts are on again for your 7 watches:" in welcome.text
    assert "• Tbilisi\n• … and 2 more\n/list shows the watchlist" in welcome.text
    assert "Yerevan" not in welcome.text
    [again] = await bot_harness.send(USER, "/start")
    assert again.text.startswith("Alerts are on for your 7 watches:")


async def test_resume_counts_the_matching_reports_first_seen_while_paused(
    bot_harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = bot_harness.store
    assert store is not None
    await bot_harness.send(USER, "/watch Lachin")
    await store.reports.add([_report(0, "Lachin before the pause")], datetime.now(UTC))
    await bot_harness.send(USER, "/pause")
    await bot_harness.send(USER, "/pause")  # a second /pause keeps the first one's time
    titles = ["Road to Laçın", "Lachin corridor", "Tbilisi weather", "Лачин news"]
    await store.reports.add([_report(n, t) for n, t in enumerate(titles, 1)], datetime.now(UTC))
    [resumed] = await bot_harness.send(USER, "/resume")
    assert resumed.text == (
        "Alerts are on again.\nWhile paused, 3 reports matched your watchlist; /latest shows "
        "the newest."
    )
    await bot_harness.send(USER, "/pause")
    await store.reports.add([_report(n, "Lachin again") for n in range(5, 9)], datetime.now(UTC))
    monkeypatch.setattr(latest, "SCANNED", 3)  # the window /latest reads, all of it new
    [capped] = await bot_harness.send(USER, "/resume")
    assert "While paused, 3+ reports matched your watchlist (more came in than the" in capped.text


def _report(n: int, title: str) -> Report:
    url = f"https://news.test/{n}"
    return Report(id=url, url=url, canonical_url=url, title=title)


async def test_pause_before_start_asks_for_start(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/pause")
    assert "/start" in answer.text
    assert bot_harness.store.chats.get(USER) is None  # type: ignore[union-attr]


async def test_forget_asks_first_and_deletes_on_yes(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [question] = await bot_harness.send(USER, "/forget")
    buttons = dict(_buttons(question))
    assert set(buttons) == {"Yes, delete everything", "Cancel"}
    assert bot_harness.store.chats.get(USER) is not None  # type: ignore[union-attr]
    mark = bot_harness.telegram.mark()
    await bot_harness.tap(USER, question.message_id, buttons["Yes, delete everything"])
    assert bot_harness.store.chats.get(USER) is None  # type: ignore[union-attr]
    [edited] = await bot_harness.telegram.wait_for_sent(since=mark, chat_id=USER)
    assert edited.method == "editMessageText"
    assert "deleted" in edited.text
    assert not edited.reply_markup


async def test_forget_cancel_keeps_everything(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [question] = await bot_harness.send(USER, "/forget")
    mark = bot_harness.telegram.mark()
    await bot_harness.tap(USER, question.message_id, dict(_buttons(question))["Cancel"])
    chat = bot_harness.store.chats.get(USER)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.keywords == ["Lachin"]
    [edited] = await bot_harness.telegram.wait_for_sent(since=mark, chat_id=USER)
    assert "Nothing was deleted" in edited.text


async def test_group_admin_may_subscribe_member_may_not(bot_harness: BotHarness) -> None:
    telegram = bot_harness.telegram
    telegram.set_member_status(GROUP, ADMIN, "administrator")
    [refused] = await bot_harness.send(
        GROUP, "/start", user_id=MEMBER, chat_type="supergroup", chat_title="Desk"
    )
    assert "administrators" in refused.text
    assert bot_harness.store.chats.get(GROUP) is None  # type: ignore[union-attr]
    [welcome] = await bot_harness.send(
        GROUP, "/start", user_id=ADMIN, chat_type="supergroup", chat_title="Desk"
    )
    assert "Newswatch" in welcome.text
    chat = bot_harness.store.chats.get(GROUP)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.kind == "supergroup"
    assert chat.title == "Desk"


async def test_group_creator_counts_as_admin(bot_harness: BotHarness) -> None:
    bot_harness.telegram.set_member_status(GROUP, ADMIN, "creator")
    [answer] = await bot_harness.send(GROUP, "/pause", user_id=ADMIN, chat_type="group")
    assert "/start" in answer.text  # allowed through the admin check, but nothing to pause yet


async def test_member_cannot_forget_a_group_by_tapping(bot_harness: BotHarness) -> None:
    telegram = bot_harness.telegram
    telegram.set_member_status(GROUP, ADMIN, "administrator")
    await bot_harness.send(GROUP, "/watch Lachin", user_id=ADMIN, chat_type="group")
    [question] = await bot_harness.send(GROUP, "/forget", user_id=ADMIN, chat_type="group")
    yes = dict(_buttons(question))["Yes, delete everything"]
    await bot_harness.tap(GROUP, question.message_id, yes, user_id=MEMBER)
    assert telegram.answered_callbacks[-1].get("show_alert") in (True, "true")
    assert "administrators" in telegram.answered_callbacks[-1]["text"]
    assert bot_harness.store.chats.get(GROUP) is not None  # type: ignore[union-attr]


async def test_channel_post_commands_work(bot_harness: BotHarness) -> None:
    mark = bot_harness.telegram.mark()
    bot_harness.telegram.push_channel_post(-100777, "/start", title="Caucasus Watch")
    [welcome] = await bot_harness.telegram.wait_for_sent(since=mark, chat_id=-100777)
    assert "Newswatch" in welcome.text
    chat = bot_harness.store.chats.get(-100777)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.kind == "channel"


async def test_bot_admins_get_a_menu_with_their_commands(bot_harness: BotHarness) -> None:
    scoped = [
        r.params
        for r in bot_harness.telegram.requests
        if r.method.lower() == "setmycommands" and "scope" in r.params
    ]
    [admin_menu] = scoped
    assert admin_menu["scope"] == {"type": "chat", "chat_id": 4242}
    assert "sources" in [c["command"] for c in admin_menu["commands"]]


async def test_forget_yes_without_a_prompt_deletes_nothing(bot_harness: BotHarness) -> None:
    """A forged tap (old-style data, a made-up token) on any bot message is refused."""
    await bot_harness.send(USER, "/watch Lachin")
    [help_message] = await bot_harness.send(USER, "/help")
    for data in ("forget:yes", "forget:yes:", "forget:yes:made-up-token"):
        await bot_harness.tap(USER, help_message.message_id, data)
        assert bot_harness.telegram.answered_callbacks[-1]["text"] == EXPIRED
    chat = bot_harness.store.chats.get(USER)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.keywords == ["Lachin"]
    [unchanged] = [
        m for m in bot_harness.telegram.messages(USER) if m["message_id"] == help_message.message_id
    ]
    assert unchanged["text"] == help_message.text  # the tapped message was not edited either


async def test_a_forget_token_works_once(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [question] = await bot_harness.send(USER, "/forget")
    yes = dict(_buttons(question))["Yes, delete everything"]
    await bot_harness.tap(USER, question.message_id, yes)
    assert bot_harness.store.chats.get(USER) is None  # type: ignore[union-attr]
    await bot_harness.send(USER, "/watch Karabakh")
    await bot_harness.tap(USER, question.message_id, yes)  # the same button, replayed
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == EXPIRED
    chat = bot_harness.store.chats.get(USER)  # type: ignore[union-attr]
    assert chat is not None
    assert chat.keywords == ["Karabakh"]


async def test_cancel_uses_up_the_prompt(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [question] = await bot_harness.send(USER, "/forget")
    buttons = dict(_buttons(question))
    await bot_harness.tap(USER, question.message_id, buttons["Cancel"])
    await bot_harness.tap(USER, question.message_id, buttons["Yes, delete everything"])
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == EXPIRED
    assert bot_harness.store.chats.get(USER) is not None  # type: ignore[union-attr]


async def test_a_forget_prompt_expires_after_ten_minutes(
    bot_harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [question] = await bot_harness.send(USER, "/forget")
    later = time.monotonic() + buttons.TOKEN_LIFETIME_SECONDS + 1
    monkeypatch.setattr(buttons, "monotonic", lambda: later)
    await bot_harness.tap(
        USER, question.message_id, dict(_buttons(question))["Yes, delete everything"]
    )
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == EXPIRED
    assert bot_harness.store.chats.get(USER) is not None  # type: ignore[union-attr]


async def test_a_forget_prompt_from_before_a_restart_has_expired(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [question] = await bot_harness.send(USER, "/forget")
    await bot_harness.stop()
    await bot_harness.start()
    await bot_harness.tap(
        USER, question.message_id, dict(_buttons(question))["Yes, delete everything"]
    )
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == EXPIRED
    assert bot_harness.store.chats.get(USER) is not None  # type: ignore[union-attr]


async def test_a_forget_token_is_good_only_in_its_own_chat(bot_harness: BotHarness) -> None:
    other = USER + 1
    await bot_harness.send(USER, "/watch Lachin")
    await bot_harness.send(other, "/watch Karabakh")
    [question] = await bot_harness.send(USER, "/forget")
    [other_message] = await bot_harness.send(other, "/list")
    yes = dict(_buttons(question))["Yes, delete everything"]
    await bot_harness.tap(other, other_message.message_id, yes)
    assert bot_harness.telegram.answered_callbacks[-1]["text"] == EXPIRED
    assert bot_harness.store.chats.get(other) is not None  # type: ignore[union-attr]
    await bot_harness.tap(USER, question.message_id, yes)  # still good where it was issued
    assert bot_harness.store.chats.get(USER) is None  # type: ignore[union-attr]


async def test_a_member_tap_does_not_use_up_the_admins_prompt(bot_harness: BotHarness) -> None:
    telegram = bot_harness.telegram
    telegram.set_member_status(GROUP, ADMIN, "administrator")
    await bot_harness.send(GROUP, "/watch Lachin", user_id=ADMIN, chat_type="group")
    [question] = await bot_harness.send(GROUP, "/forget", user_id=ADMIN, chat_type="group")
    yes = dict(_buttons(question))["Yes, delete everything"]
    await bot_harness.tap(GROUP, question.message_id, yes, user_id=MEMBER)
    await bot_harness.tap(GROUP, question.message_id, yes, user_id=ADMIN)
    assert bot_harness.store.chats.get(GROUP) is None  # type: ignore[union-attr]
