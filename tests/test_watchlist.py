"""End to end through the fake Bot API: /watch, /unwatch (typed and tapped) and /list, bad input."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from tests.conftest import BotHarness
from watchers.matching import MAX_WATCHES
from watchers.models import Report

USER = 1001
GROUP = -2001
ADMIN = 3001
MEMBER = 3002


async def _keywords(harness: BotHarness, chat_id: int = USER) -> list[str]:
    chat = harness.store.chats.get(chat_id)  # type: ignore[union-attr]
    return chat.keywords if chat else []


async def test_watch_adds_several_comma_separated(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(
        USER, '/watch Lachin, "Lachin corridor", Stepanakert OR Khankendi'
    )
    assert "Watching" in answer.text
    assert await _keywords(bot_harness) == [
        "Lachin",
        '"Lachin corridor"',
        "Stepanakert OR Khankendi",
    ]


async def test_watch_reports_duplicates_ignoring_case_and_accents(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Laçın")
    [answer] = await bot_harness.send(USER, "/watch LACIN, lacın, Karabakh")
    assert "Already watched:\n• LACIN\n• lacın" in answer.text
    assert await _keywords(bot_harness) == ["Laçın", "Karabakh"]


async def test_watch_without_keywords_shows_usage(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/watch")
    assert "/watch Lachin" in answer.text
    assert bot_harness.store.chats.get(USER) is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("/watch ,", "cannot be empty"),
        ("/watch " + "x" * 101, "at most 100"),
        ("/watch bad\x07word", "control characters"),
        ('/watch "unclosed', "closing quote"),
        ("/watch -football", "not only exclusions"),
    ],
)
async def test_bad_keywords_are_refused_and_nothing_is_stored(
    bot_harness: BotHarness, line: str, reason: str
) -> None:
    [answer] = await bot_harness.send(USER, line)
    assert "Not added" in answer.text
    assert reason in answer.text
    assert await _keywords(bot_harness) == []


async def test_user_text_is_echoed_back_as_written(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/watch <b>, A&B")
    assert answer.text == "Watching:\n• <b>\n• A&B"  # plain text as the user sees it
    assert "&lt;b&gt;" in answer.raw_text
    assert "A&amp;B" in answer.raw_text
    [listing] = await bot_harness.send(USER, "/list")
    assert "• <b>\n• A&B" in listing.text


async def test_at_most_fifty_keywords_per_chat(bot_harness: BotHarness) -> None:
    many = ", ".join(f"term{n}" for n in range(MAX_WATCHES - 1))
    await bot_harness.send(USER, f"/watch {many}")
    [answer] = await bot_harness.send(USER, "/watch one more, and another")
    assert "Watching:\n• one more" in answer.text
    assert "at most 50" in answer.text
    assert "and another" in answer.text
    assert len(await _keywords(bot_harness)) == MAX_WATCHES


async def test_a_full_watchlist_of_long_keywords_is_listed_in_several_messages(
    bot_harness: BotHarness,
) -> None:
    keywords = [f"{n:02d} " + "long keyword " * 7 + "x" * 6 for n in range(MAX_WATCHES)]
    assert all(len(k) == 100 for k in keywords)
    for start in range(0, MAX_WATCHES, 25):  # one /watch message holds at most 4096 characters
        await bot_harness.send(USER, "/watch " + ", ".join(keywords[start : start + 25]))
    assert len(await _keywords(bot_harness)) == MAX_WATCHES
    parts = await bot_harness.send(USER, "/list", count=2)
    assert len(parts) == 2
    assert all(len(p.text) <= 4096 for p in parts)
    listed = "\n".join(p.text for p in parts)
    assert all(f"• {k}" in listed for k in keywords)


async def test_unwatch_by_name(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin, Karabakh")
    [answer] = await bot_harness.send(USER, "/unwatch lachin")
    assert "Stopped watching" in answer.text
    assert await _keywords(bot_harness) == ["Karabakh"]
    [missing] = await bot_harness.send(USER, "/unwatch Shusha")
    assert "not on the watchlist" in missing.text
    assert await _keywords(bot_harness) == ["Karabakh"]


async def test_unwatch_alone_offers_buttons_and_a_tap_removes(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin, Karabakh")
    [menu] = await bot_harness.send(USER, "/unwatch")
    buttons = {
        b["text"]: b["callback_data"] for row in menu.reply_markup["inline_keyboard"] for b in row
    }  # type: ignore[index]
    assert set(buttons) == {"✖ Lachin", "✖ Karabakh"}
    telegram = bot_harness.telegram
    mark = telegram.mark()
    await bot_harness.tap(USER, menu.message_id, buttons["✖ Lachin"])
    assert await _keywords(bot_harness) == ["Karabakh"]
    [edit] = await telegram.wait_for_sent(since=mark, chat_id=USER)  # it follows the answer
    assert edit.method == "editMessageText"
    assert "Stopped watching Lachin" in edit.text
    assert edit.reply_markup is not None
    assert [b["text"] for row in edit.reply_markup["inline_keyboard"] for b in row] == [
        "✖ Karabakh"
    ]
    mark = telegram.mark()
    await bot_harness.tap(USER, menu.message_id, buttons["✖ Karabakh"])
    assert await _keywords(bot_harness) == []
    [edit] = await telegram.wait_for_sent(since=mark, chat_id=USER)
    assert "now empty" in edit.text


async def test_a_stale_button_changes_nothing(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [menu] = await bot_harness.send(USER, "/unwatch")
    data = menu.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    await bot_harness.send(USER, "/unwatch Lachin")
    await bot_harness.tap(USER, menu.message_id, data)
    assert "no longer" in bot_harness.telegram.answered_callbacks[-1]["text"]


async def test_unwatch_on_an_empty_list(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/unwatch")
    assert "empty" in answer.text


async def test_list_shows_keywords_and_alert_state(bot_harness: BotHarness) -> None:
    [before] = await bot_harness.send(USER, "/list")
    assert "/start" in before.text
    await bot_harness.send(USER, "/watch Lachin")
    [listing] = await bot_harness.send(USER, "/list")
    assert "Lachin" in listing.text
    assert "Alerts: on" in listing.text
    await bot_harness.send(USER, "/stop")
    [after] = await bot_harness.send(USER, "/list")
    assert "Alerts: off" in after.text


async def test_only_group_admins_change_the_watchlist(bot_harness: BotHarness) -> None:
    bot_harness.telegram.set_member_status(GROUP, ADMIN, "administrator")
    [refused] = await bot_harness.send(GROUP, "/watch Lachin", user_id=MEMBER, chat_type="group")
    assert "administrators" in refused.text
    assert await _keywords(bot_harness, GROUP) == []
    await bot_harness.send(GROUP, "/watch Lachin", user_id=ADMIN, chat_type="group")
    [refused_unwatch] = await bot_harness.send(
        GROUP, "/unwatch Lachin", user_id=MEMBER, chat_type="group"
    )
    assert "administrators" in refused_unwatch.text
    assert await _keywords(bot_harness, GROUP) == ["Lachin"]
    [listing] = await bot_harness.send(GROUP, "/list", user_id=MEMBER, chat_type="group")
    assert "Lachin" in listing.text  # anyone may look


async def test_anonymous_group_admin_is_an_admin(bot_harness: BotHarness) -> None:
    """An anonymous admin posts as the group itself (sender_chat == chat), not as a member."""
    [answer] = await bot_harness.send(
        GROUP, "/watch Lachin", chat_type="supergroup", anonymous_admin=True
    )
    assert "Watching" in answer.text
    assert await _keywords(bot_harness, GROUP) == ["Lachin"]


async def test_commands_addressed_to_the_bot_by_name_work_in_groups(
    bot_harness: BotHarness,
) -> None:
    bot_harness.telegram.set_member_status(GROUP, ADMIN, "administrator")
    await bot_harness.send(
        GROUP, "/watch@newswatch_test_bot Karabakh", user_id=ADMIN, chat_type="group"
    )
    assert await _keywords(bot_harness, GROUP) == ["Karabakh"]


async def test_the_watchlist_survives_a_restart(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    await bot_harness.stop()
    await bot_harness.start()
    [listing] = await bot_harness.send(USER, "/list")
    assert "Lachin" in listing.text


async def test_a_huge_unwatch_argument_is_quoted_back_short(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [answer] = await bot_harness.send(USER, "/unwatch " + "y" * 4000)
    assert "is not on the watchlist" in answer.text
    assert len(answer.text) < 200
    [removed] = await bot_harness.send(USER, "/unwatch LACHIN")
    assert removed.text == "Stopped watching Lachin."


async def test_a_thousand_keywords_get_one_short_answer(
    bot_harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Each refusal on its own line once made 17 messages (66,000 characters)."""
    keywords = [f"{n:03d}" for n in range(996)] + ["", "", "x" * 101, "bad\x07"]
    caplog.set_level(logging.INFO, logger="handlers.watchlist")
    [answer] = await bot_harness.send(USER, "/watch " + ",".join(keywords))
    assert len(answer.text) < 1000
    lines = answer.text.splitlines()
    assert lines[:2] == ["Watching:", "• 000"]
    assert "• … and 40 more" in lines
    assert "• 946 keywords, such as “050”, “051”, “052”: A chat can watch at most 50" in answer.text
    assert "• 2 keywords: A keyword cannot be empty." in lines
    assert (
        "• “xxxxxxxxxxxxxxxxxxxxxxxxxxxxx…”: A keyword can be at most 100 characters long." in lines
    )
    assert "• “bad”: Keywords cannot contain control characters." in lines
    assert len(await _keywords(bot_harness)) == MAX_WATCHES
    [logged] = [r.getMessage() for r in caplog.records if "/watch of" in r.getMessage()]
    assert "/watch of 1000 keywords: 50 added (now 50), 0 already watched, 950 refused" in logged
    assert "946 × A chat can watch at most 50 keywords" in logged


async def test_many_duplicates_are_counted_not_listed(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch " + ", ".join(f"term{n}" for n in range(30)))
    [answer] = await bot_harness.send(USER, "/watch " + ", ".join(f"TERM{n}" for n in range(30)))
    assert answer.text.splitlines() == [
        "Already watched:",
        *(f"• TERM{n}" for n in range(10)),
        "• … and 20 more",
    ]


async def test_a_keyword_with_a_direction_mark_matches_the_word_without_it(
    bot_harness: BotHarness,
) -> None:
    """Text pasted from a right-to-left page carries U+200F; it was refused as a control
    character."""
    store = bot_harness.store
    assert store is not None
    url = "https://wire.test/convoy"
    now = datetime.now(UTC)
    report = Report(id=url, url=url, canonical_url=url, title="Convoy reaches Laçın", published=now)
    await store.reports.add([report], now)
    [answer] = await bot_harness.send(USER, "/watch Laçın\u200f")
    assert answer.text == "Watching:\n• Laçın"
    [latest] = await bot_harness.send(USER, "/latest")
    assert "Convoy reaches Laçın" in latest.text
    [again] = await bot_harness.send(USER, "/watch \u200fLaçın")
    assert again.text == "Already watched:\n• Laçın"


async def test_another_spelling_of_a_watched_place_is_already_covered(
    bot_harness: BotHarness,
) -> None:
    await bot_harness.send(USER, "/watch Lachin, Stepanakert OR Shusha")
    [answer] = await bot_harness.send(
        USER, "/watch Лачин, Laçın, =Лачин, Şuşa OR Ստեփանակերտ, =Ganja"
    )
    assert answer.text.splitlines() == [
        "Watching:",
        "• =Ganja",
        "Already covered by a watch of the same place:",
        "• Лачин, by Lachin",
        "• Laçın, by Lachin",
        "• =Лачин, by Lachin",
        "• Şuşa OR Ստեփանակերտ, by Stepanakert OR Shusha",
    ]
    [different] = await bot_harness.send(USER, "/watch Ganja, Lachin Stepanakert")
    assert different.text == "Watching:\n• Ganja\n• Lachin Stepanakert"  # "=Ganja" finds more
    assert await _keywords(bot_harness) == [
        "Lachin",
        "Stepanakert OR Shusha",
        "=Ganja",
        "Ganja",
        "Lachin Stepanakert",
    ]
    [unwatch] = await bot_harness.send(USER, "/unwatch Лачин")
    assert unwatch.text == (
        "“Лачин” is not a watch of its own: Lachin covers it. Send /unwatch Lachin to stop it."
    )
    assert "Lachin" in await _keywords(bot_harness)


async def test_a_wider_watch_of_a_place_takes_the_place_of_the_narrower(
    bot_harness: BotHarness,
) -> None:
    await bot_harness.send(USER, "/watch =Лачин, Karabakh")
    [answer] = await bot_harness.send(USER, "/watch Lachin")
    assert answer.text == "Watching:\n• Lachin\nIn place of:\n• =Лачин, now Lachin"
    assert await _keywords(bot_harness) == ["Karabakh", "Lachin"]


async def test_an_exclusion_holds_for_every_watch_of_its_place_and_the_reply_says_so(
    bot_harness: BotHarness,
) -> None:
    [alone] = await bot_harness.send(USER, "/watch Karabakh -football")
    assert alone.text == "Watching:\n• Karabakh -football"  # no other watch shares it yet
    [covered] = await bot_harness.send(USER, "/watch Ղարաբաղ")
    assert covered.text.splitlines() == [
        "Already covered by a watch of the same place:",
        "• Ղարաբաղ, by Karabakh -football",
        "Exclusions hold for every watch of the place (/unwatch a watch to drop its own):",
        "• Karabakh: -football (on “Karabakh -football”)",
    ]
    [wider] = await bot_harness.send(USER, "/watch Qarabağ OR Armenia")
    assert wider.text.splitlines()[-2:] == covered.text.splitlines()[-2:]
    assert await _keywords(bot_harness) == ["Karabakh -football", "Qarabağ OR Armenia"]


async def test_look_alike_letters_are_folded_or_refused_with_the_reason(
    bot_harness: BotHarness,
) -> None:
    [answer] = await bot_harness.send(USER, "/watch Lаchin, 𝐒𝐭𝐞𝐩𝐚𝐧𝐚𝐤𝐞𝐫𝐭, Xankәndi")  # а, ә Cyrillic
    assert answer.text.splitlines() == [
        "Watching:",
        "• Lachin",
        "• Stepanakert",
        "Read as:",
        "• “Lаchin” has Cyrillic letters among Latin ones that look the same (а): "
        "read as “Lachin”.",
        "• “𝐒𝐭𝐞𝐩𝐚𝐧𝐚𝐤𝐞𝐫𝐭” is written in styled letters: read as “Stepanakert”.",
        "Not added:",
        (
            "• “Xankәndi”: “Xankәndi” mixes Cyrillic and Latin letters that look alike; type it"
            " in one alphabet."
        ),
    ]
    assert await _keywords(bot_harness) == ["Lachin", "Stepanakert"]
    [again] = await bot_harness.send(USER, "/watch 𝐋𝐚𝐜𝐡𝐢𝐧")
    assert again.text.startswith("Already watched:\n• Lachin\nRead as:")
