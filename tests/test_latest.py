"""End to end: /latest shows the newest stored reports that match, newest first, at most five."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from bot.store import Chat, WatchEntry
from fakes import FeedServer, Item, make_rss
from tests.conftest import BotHarness
from watchers.alerts import Summariser
from watchers.feeds.source import FeedSource
from watchers.matching import load_aliases
from watchers.models import Report
from watchers.poll import Poller

USER = 1001
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _report(n: int, title: str, hours_ago: int, outlet: str = "OC Media") -> Report:
    url = f"https://oc-media.org/{n}?a=1&b=2"
    return Report(
        id=url,
        url=url,
        canonical_url=url,
        title=title,
        text="",
        outlet=outlet,
        domain="oc-media.org",
        published=NOW - timedelta(hours=hours_ago),
    )


async def test_latest_with_nothing_stored_says_so(bot_harness: BotHarness) -> None:
    await bot_harness.send(USER, "/watch Lachin")
    [answer] = await bot_harness.send(USER, "/latest")
    assert "Nothing reported yet" in answer.text


async def test_latest_with_an_empty_watchlist_explains(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/latest")
    assert "watchlist is empty" in answer.text


async def test_latest_shows_five_newest_matches_newest_first(bot_harness: BotHarness) -> None:
    store = bot_harness.store
    assert store is not None
    reports = [_report(n, f"Convoy reaches Laçın, day {n}", hours_ago=n) for n in range(1, 8)]
    reports.append(_report(99, "Tbilisi hosts a film festival", hours_ago=0))
    await store.reports.add(reports, NOW)
    await bot_harness.send(USER, "/watch Lachin")
    [answer] = await bot_harness.send(USER, "/latest")
    days = [line for line in answer.text.splitlines() if line.startswith("Convoy")]
    assert days == [f"Convoy reaches Laçın, day {n}" for n in range(1, 6)]
    assert "film festival" not in answer.text
    assert "OC Media" in answer.text
    assert "25 Nov 2026 11:00 UTC" in answer.text
    assert "Laçın" in answer.text  # the form that matched
    # Each title is a link to the report, with & in the URL escaped for HTML.
    assert 'href="https://oc-media.org/1?a=1&amp;b=2"' in answer.raw_text


async def test_latest_with_a_keyword_ignores_the_watchlist(bot_harness: BotHarness) -> None:
    store = bot_harness.store
    assert store is not None
    await store.reports.add(
        [_report(1, "Talks on Karabakh resume", 1), _report(2, "Колонна вошла в Лачин", 2)], NOW
    )
    await bot_harness.send(USER, "/watch Karabakh")
    [answer] = await bot_harness.send(USER, "/latest Lachin")
    assert "Колонна вошла в Лачин" in answer.text
    assert "Talks on Karabakh" not in answer.text
    [mine] = await bot_harness.send(USER, "/latest")
    assert "Talks on Karabakh resume" in mine.text


async def test_latest_escapes_the_keyword_it_echoes(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/latest <i>x</i>")
    assert "<i>x</i>" in answer.text
    assert "&lt;i&gt;" in answer.raw_text


async def test_latest_with_a_comma_separated_list_looks_for_each(bot_harness: BotHarness) -> None:
    """`/latest Lachin, Karabakh` was taken for ONE keyword and found nothing."""
    store = bot_harness.store
    assert store is not None
    await store.reports.add(
        [
            _report(1, "Talks on Karabakh resume", 1),
            _report(2, "Колонна вошла в Лачин", 2),
            _report(3, "Tbilisi hosts a film festival", 3),
        ],
        NOW,
    )
    [answer] = await bot_harness.send(USER, "/latest Lachin, Karabakh")
    assert answer.text.splitlines()[0] == "Latest for Lachin, Karabakh"
    assert "Talks on Karabakh resume" in answer.text
    assert "Колонна вошла в Лачин" in answer.text
    assert "film festival" not in answer.text


async def test_latest_names_a_bad_keyword_and_looks_for_the_others(
    bot_harness: BotHarness,
) -> None:
    store = bot_harness.store
    assert store is not None
    await store.reports.add([_report(1, "Talks on Karabakh resume", 1)], NOW)
    [answer] = await bot_harness.send(USER, '/latest Karabakh, bad\x07, "unclosed')
    assert answer.text.startswith("Latest for Karabakh\n\nTalks on Karabakh resume")
    assert answer.text.endswith(
        "Not looked for:\n"
        "• “bad”: Keywords cannot contain control characters.\n"
        '• “"unclosed”: A quoted phrase is missing its closing quote (").'
    )


async def test_latest_with_only_bad_keywords_says_why(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/latest ,")
    assert answer.text == (
        "Nothing to look for:\n• A keyword cannot be empty.\n• A keyword cannot be empty."
    )


async def test_latest_with_many_long_keywords_answers_briefly(bot_harness: BotHarness) -> None:
    keywords = [f"{n:02d} " + "long keyword " * 7 + "x" * 6 for n in range(60)]
    [answer] = await bot_harness.send(USER, "/latest " + ", ".join(keywords))
    heading, refusals = answer.text.split("\n\n")
    assert heading.startswith("Nothing reported yet for 00 long keyword")
    assert len(heading) < 200
    assert refusals == "Not looked for:\n• 10 keywords: at most 50 at a time."


async def test_latest_pages_on_to_older_matches_with_a_button(bot_harness: BotHarness) -> None:
    """A burst alerts 5 and counts the rest in a "+N more: /latest" line: /latest must reach
    them."""
    store = bot_harness.store
    assert store is not None
    await store.reports.add(
        [_report(n, f"Convoy reaches Laçın, day {n}", hours_ago=n) for n in range(1, 13)], NOW
    )
    await bot_harness.send(USER, "/watch Lachin")
    pages = [await bot_harness.send(USER, "/latest")]
    while (markup := pages[-1][0].reply_markup) is not None:
        [[button]] = markup["inline_keyboard"]
        assert button["text"] == "Older ▸"
        mark = bot_harness.telegram.mark()
        await bot_harness.tap(USER, pages[-1][0].message_id, button["callback_data"])
        pages.append(await bot_harness.telegram.wait_for_sent(since=mark, chat_id=USER))
    days = [
        [
            line.removeprefix("Convoy reaches Laçın, day ")
            for line in page.text.splitlines()
            if line.startswith(("Latest", "Convoy"))
        ]
        for [page] in pages
    ]
    assert days == [
        ["Latest for your watchlist", "1", "2", "3", "4", "5"],
        ["Latest for your watchlist (6–10)", "6", "7", "8", "9", "10"],
        ["Latest for your watchlist (11–12)", "11", "12"],
    ]


async def test_latest_with_keywords_has_no_older_button(bot_harness: BotHarness) -> None:
    store = bot_harness.store
    assert store is not None
    await store.reports.add([_report(n, f"Laçın, day {n}", hours_ago=n) for n in range(9)], NOW)
    [answer] = await bot_harness.send(USER, "/latest Lachin")
    assert answer.reply_markup is None
    assert answer.text.count("Laçın, day") == 5


async def test_latest_agrees_with_the_alert_on_a_name_a_regional_outlet_vouches_for(
    bot_harness: BotHarness, feeds: FeedServer
) -> None:
    """ "Kapan" counts without more context only in a regional outlet's report: /latest once
    matched the stored text again without that context, so it showed neither the alerted
    report nor the backlog of the source's first poll."""
    store = bot_harness.store
    assert store is not None
    await bot_harness.send(USER, "/watch Kapan")
    now = datetime.now(UTC)
    clock = iter([now, now + timedelta(minutes=2)])
    source = FeedSource("Syunik Wire", feeds.url("/syunik.xml"), 60, regional=True)
    backlog = Item("Kapan mayor re-elected", "https://syunik.test/1", "", now - timedelta(hours=2))
    news = Item("Kapan council meets on the budget", "https://syunik.test/2", "", now)
    async with httpx.AsyncClient() as client:
        poller = Poller(
            client,
            store.polls,
            load_aliases(),
            lambda: Summariser(client, fetch_articles=False),
            now=lambda: next(clock),
        )
        feeds.set("/syunik.xml", make_rss([backlog]))
        first = await poller.poll(source, store.chats.subscriptions(), store.chats.version)
        feeds.set("/syunik.xml", make_rss([news, backlog]))
        second = await poller.poll(source, store.chats.subscriptions(), store.chats.version)
    assert first.alerts == []  # a first poll's backlog is stored, not alerted
    [alert] = second.alerts
    assert (alert.report.title, alert.form, alert.context) == (news.title, "Kapan", "")
    [answer] = await bot_harness.send(USER, "/latest")
    titles = [line for line in answer.text.splitlines() if line.startswith("Kapan")]
    assert titles == [news.title, backlog.title]


async def test_latest_keeps_out_what_a_shared_exclusion_keeps_out_of_alerts(
    bot_harness: BotHarness,
) -> None:
    """`Karabakh -football` keeps football out for every watch of Karabakh in the chat, its
    `Ղարաբաղ` too (as in the live alert); /latest once showed the football report anyway."""
    store = bot_harness.store
    assert store is not None
    since = NOW - timedelta(days=1)
    both = [WatchEntry("Karabakh -football", since), WatchEntry("Ղարաբաղ", since)]
    await store.chats.save(Chat(USER, watches=both))
    await store.reports.add(
        [
            _report(1, "Football: fans celebrate in Karabakh", 1),
            _report(2, "Karabakh talks resume", 2),
        ],
        NOW,
    )
    [answer] = await bot_harness.send(USER, "/latest")
    assert "Karabakh talks resume" in answer.text
    assert "Football" not in answer.text


async def test_latest_shows_a_story_once_with_how_many_outlets_carried_it(
    bot_harness: BotHarness,
) -> None:
    store = bot_harness.store
    assert store is not None
    story = _report(1, "Convoy reaches Laçın", hours_ago=3)
    told = [
        replace(story, story=story.id),
        *(
            replace(_report(n, f"Aid trucks arrive in Laçın ({outlet})", 3 - n, outlet),
                    domain=f"{outlet}.test", story=story.id)
            for n, outlet in [(2, "apa"), (3, "tass")]
        ),
        replace(_report(4, "Laçın school reopens", hours_ago=2), story="https://elsewhere.test/4"),
    ]  # fmt: skip
    await store.reports.add(told, NOW)
    await bot_harness.send(USER, "/watch Lachin")
    [answer] = await bot_harness.send(USER, "/latest")
    lines = answer.text.splitlines()
    assert [line for line in lines if "Laçın" in line and "matched" not in line] == [
        "Aid trucks arrive in Laçın (tass)",  # the story's newest report stands for it
        "Laçın school reopens",
    ]
    assert "3 outlets" in lines[lines.index("Aid trucks arrive in Laçın (tass)") + 1]
    assert "outlets" not in lines[lines.index("Laçın school reopens") + 1]
