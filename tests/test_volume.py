"""Volume control: the cap rule on its own, then a burst from a real feed through the running bot
(poll, outbox, sender) to the fake Bot API."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from fakes import FakeTelegram, FeedServer, Item, make_rss
from tests.conftest import BotHarness
from tests.test_jobs import EPOCH, _name, _polled
from watchers.models import Match, Report
from watchers.volume import ALERTS_PER_POLL, cap_matches, origin_of

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
USER = 1001
OTHER = 1002


def _report(n: int, *, outlet: str = "Wire", published: datetime | None = None) -> Report:
    url = f"https://wire.test/{n}"
    when = published or NOW - timedelta(minutes=n)  # report 0 is the newest
    return Report(id=url, url=url, canonical_url=url, title=f"r{n}", outlet=outlet, published=when)


def _matches(
    reports: list[Report], chat_id: int, keyword: str = "Lachin"
) -> list[tuple[Report, Match]]:
    return [(report, Match(chat_id, keyword, keyword)) for report in reports]


# The rule -----------------------------------------------------------------------------------


def test_up_to_the_cap_every_match_is_kept_in_order() -> None:
    matched = _matches([_report(n) for n in (3, 1, 4, 0, 2)], USER)
    assert cap_matches(matched, "feed") == (matched, [])


def test_past_the_cap_the_newest_are_kept_in_order_and_the_rest_are_one_overflow() -> None:
    reports = [_report(n) for n in (7, 0, 5, 1, 6, 2, 3, 4)]  # the feed's order, shuffled dates
    matched = _matches(reports[:3], USER) + _matches(reports[3:], USER, "Shusha")
    kept, [overflow] = cap_matches(matched, "feed", limit=4)
    assert [r.title for r, _ in kept] == ["r0", "r1", "r2", "r3"]
    assert overflow.chat_id == USER
    assert overflow.origin == "Wire"
    assert [r.title for r in overflow.reports] == ["r4", "r5", "r6", "r7"]  # newest first
    assert overflow.keyword == "Shusha"  # the newest collapsed report's watch


def test_each_chat_is_capped_on_its_own() -> None:
    reports = [_report(n) for n in range(8)]
    matched = _matches(reports, USER) + _matches(reports[:2], OTHER)
    kept, overflow = cap_matches(matched, "feed")
    assert [m.chat_id for _, m in kept] == [USER] * ALERTS_PER_POLL + [OTHER] * 2
    assert [(o.chat_id, len(o.reports)) for o in overflow] == [(USER, 8 - ALERTS_PER_POLL)]


def test_an_undated_report_counts_as_newest_and_equal_dates_keep_the_feeds_order() -> None:
    same = [_report(n, published=NOW) for n in range(3)]
    undated = replace(_report(9), published=None)
    kept, [overflow] = cap_matches(_matches([*same, undated], USER), "feed", limit=2)
    assert [r.title for r, _ in kept] == ["r0", "r9"]
    assert [r.title for r in overflow.reports] == ["r1", "r2"]


def test_the_origin_is_the_shared_outlet_else_the_source() -> None:
    assert origin_of([_report(1), _report(2)], "feed") == "Wire"
    assert origin_of([_report(1), _report(2, outlet="Other")], "Google News") == "Google News"
    assert origin_of([replace(_report(1), outlet="", domain="")], "GDELT") == "GDELT"


# Through the running bot --------------------------------------------------------------------


CARGO = ["Trucks", "Flour", "Medicine", "Fuel", "Blankets", "Water", "Doctors", "Tents", "Seeds",
         "Cables", "Books", "Cement"]  # fmt: skip


async def test_a_burst_from_one_feed_gives_the_cap_and_one_more_line_once_and_stores_all(
    telegram: FakeTelegram, settings: Settings, feeds: FeedServer
) -> None:
    old = Item("Weather in Tbilisi", "https://wire.test/w", "Sunny.", NOW - timedelta(days=1))
    feeds.set("/wire.xml", make_rss([old]))
    harness = BotHarness(
        telegram, replace(settings, feeds=(feeds.url("/wire.xml"),), poll_seconds=1)
    )
    await harness.start()
    try:
        [help_text] = await harness.send(USER, "/help")
        assert f"at most {ALERTS_PER_POLL} alerts at a time" in help_text.text
        await harness.send(USER, "/watch Lachin")
        await _polled(harness, _name("/wire.xml"), EPOCH)  # the first poll only stores
        now = datetime.now(UTC)
        burst = [
            Item(
                f"Lachin report {n}",
                f"https://wire.test/{n}",
                f"{cargo} arrived.",  # twelve reports of twelve events, not one story
                now - timedelta(minutes=n),
            )
            for n, cargo in enumerate(CARGO)
        ]
        mark = telegram.mark()
        feeds.set("/wire.xml", make_rss([*burst[6:], *burst[:6]]))  # not in date order
        sent = await telegram.wait_for_sent(since=mark, chat_id=USER, count=6, timeout=30)
        assert [r.text.splitlines()[0] for r in sent[:5]] == [
            f"Lachin report {n}" for n in range(5)
        ]
        assert sent[5].text == "+7 more from Caucasus Test Wire: /latest"
        assert harness.store is not None
        stored = {s.report.title for s in await harness.store.reports.recent(100)}
        assert {i.title for i in burst} <= stored  # the collapsed ones too, for /latest
        await _polled(harness, _name("/wire.xml"), datetime.now(UTC))
        await harness.stop()
        restarted = datetime.now(UTC)
        await harness.start()
        await _polled(harness, _name("/wire.xml"), restarted)
        await _polled(harness, _name("/wire.xml"), datetime.now(UTC))
        assert len([r for r in telegram.sent[mark:] if r.chat_id == USER]) == 6  # none twice
    finally:
        await harness.stop()
