"""Feed text cannot spoof the display: no reordering or hidden characters, no blank headline, no
date from the far future, whichever source kind brought it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from bot.config import Settings
from bot.render import render_alert, render_report_line
from fakes import FakeTelegram, FeedServer, Item, make_rss, parse_html
from tests.test_render import WEATHER, bot_reading_one_feed
from watchers.cpu import on_cpu
from watchers.feeds import parse_date
from watchers.gdelt import GdeltSource, Pacer
from watchers.google_news import GoogleNewsSource
from watchers.markup import DIRECTION_CONTROLS, INVISIBLE_MARKS
from watchers.matching import load_aliases
from watchers.matchlane import plain_reports
from watchers.models import Alert, Report, SourceState
from watchers.poll import collect
from watchers.sources import Source

USER = 1001
HIDDEN = DIRECTION_CONTROLS | set(INVISIBLE_MARKS)
FAR = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
FAR_WEST = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))  # year 10000 in UTC
STORY = "Trucks crossed the checkpoint on Monday. Officials said more would follow. Roads are open."
"""Text with sentences enough that no article page is fetched for a summary."""
OTHER = "A bridge was closed for repairs on Friday. Engineers expect weeks of work. Buses detour."
THIRD = "Schools reopened after the holiday. Teachers welcomed pupils. Classes start at nine."
"""Texts of other events: reports with the same text are one story, alerted once."""


def _hidden(text: str) -> set[str]:
    return {char for char in text if char in HIDDEN}


async def test_feed_text_is_shown_in_the_order_written_without_hidden_marks(
    telegram: FakeTelegram, feeds: FeedServer, settings: Settings
) -> None:
    """An override in a title once reversed the rest of the alert's headline; marks and
    invisible breaks stayed in titles, outlets and summaries."""
    outlet = "Caucasus \u202eeriW\u202c"
    async with bot_reading_one_feed(telegram, feeds, settings, "Lachin", outlet) as harness:
        mark = telegram.mark()
        item = Item(
            "Road to Laçın \u202esnepoer\u202c\u200e today\u2066!\u2069",
            "https://wire.test/road",
            "Trucks crossed the La\u00adçın check\u200bpoint \u200fon Monday, officials said.",
            datetime.now(UTC),
        )
        feeds.set("/wire.xml", make_rss([item, WEATHER], title=outlet))
        [alert] = await telegram.wait_for_sent(since=mark, chat_id=USER, timeout=10)
        assert _hidden(alert.raw_text) == set()
        lines = alert.text.splitlines()
        assert lines[0] == "Road to Laçın snepoer today!"
        assert lines[1].startswith("Caucasus eriW · ")
        assert "Laçın checkpoint on Monday" in alert.text
        [latest] = await harness.send(USER, "/latest")
        assert _hidden(latest.raw_text) == set()
        assert "Road to Laçın snepoer today!" in latest.text
        assert harness.store is not None
        [stored] = [
            s.report for s in await harness.store.reports.recent(5) if "road" in s.report.url
        ]
        assert _hidden(stored.title + stored.outlet + stored.text) == set()


async def test_a_headline_that_shows_nothing_gives_way_to_the_first_words(
    telegram: FakeTelegram, feeds: FeedServer, settings: Settings
) -> None:
    async with bot_reading_one_feed(telegram, feeds, settings, "Lachin", "Wire") as harness:
        mark = telegram.mark()
        text = "Shelling was reported near Laçın overnight, officials said on Tuesday morning."
        blank = Item(
            "\u200b\u3164 \u200d\u2800", "https://wire.test/blank", text, datetime.now(UTC)
        )
        feeds.set("/wire.xml", make_rss([blank, WEATHER], title="Wire"))
        [alert] = await telegram.wait_for_sent(since=mark, chat_id=USER, timeout=10)
        assert alert.text.splitlines()[0] == text
        [link] = [e for e in alert.entities if e["type"] == "text_link"]
        assert link["url"] == "https://wire.test/blank"
        assert link["offset"] == 0
        [latest] = await harness.send(USER, "/latest")
        assert latest.text.splitlines()[2] == text


def test_without_headline_or_text_the_outlet_and_time_stand_in() -> None:
    when = datetime(2026, 11, 24, 9, 15, tzinfo=UTC)
    url = "https://wire.test/x"
    report = Report(url, url, url, "\u3164\u200d", outlet="Wire", published=when)
    text, _ = parse_html(render_alert(Alert(1, report, "Lachin", "Lachin", "")))
    assert text.splitlines()[0] == "Wire, 24 Nov 2026 09:15 UTC"
    text, _ = parse_html(render_report_line(report, when))
    assert text.splitlines()[0] == "Wire, 24 Nov 2026 09:15 UTC"


async def test_a_report_dated_in_the_far_future_is_dated_when_first_seen(
    telegram: FakeTelegram, feeds: FeedServer, settings: Settings
) -> None:
    """A report dated 9999 was alerted as "31 Dec 9999" and stayed on top of /latest; one
    dated 9999 west of UTC (year 10000 there) made the fast parser fail the whole feed."""
    async with bot_reading_one_feed(telegram, feeds, settings, "Lachin", "Wire") as harness:
        mark = telegram.mark()
        far = [
            Item("Lachin report from the far future", "https://wire.test/far", STORY, FAR),
            Item("Lachin report from far west", "https://wire.test/west", OTHER, FAR_WEST),
        ]
        feeds.set("/wire.xml", make_rss([*far, WEATHER], title="Wire"))
        alerts = await telegram.wait_for_sent(since=mark, chat_id=USER, count=2, timeout=10)
        seen = datetime.now(UTC)
        assert not any("9999" in a.text or "10000" in a.text for a in alerts)
        [head] = [a.text.splitlines()[1] for a in alerts if "far future" in a.text]
        shown = datetime.strptime(head, "Wire · %d %b %Y %H:%M UTC").replace(tzinfo=UTC)
        assert abs(shown - seen) < timedelta(minutes=10)
        mark = telegram.mark()
        soon = Item(
            "Lachin news of today", "https://wire.test/now", THIRD, seen + timedelta(hours=2)
        )
        feeds.set("/wire.xml", make_rss([soon, *far, WEATHER], title="Wire"))
        await telegram.wait_for_sent(since=mark, chat_id=USER, timeout=10)
        [latest] = await harness.send(USER, "/latest")
        assert latest.text.splitlines()[2] == "Lachin news of today"  # on top, with its date
        assert "9999" not in latest.text


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-05:00", "Fri, 31 Dec 9999 23:00:00 -0500"])
def test_a_date_past_year_9999_in_utc_is_the_latest_date_not_an_error(text: str) -> None:
    """The fallback parser reads dates as written, and converting these to UTC overflowed."""
    assert parse_date(text) == datetime.max.replace(tzinfo=UTC)


def _gdelt_answer(title: str, seen: str) -> bytes:
    article = {
        "url": "https://outlet.test/a",
        "title": title,
        "seendate": seen,
        "domain": "outlet.test",
        "language": "English",
        "sourcecountry": "Armenia",
    }
    return json.dumps({"articles": [article]}).encode()


def _google_answer(title: str, outlet: str, published: datetime) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Google News'
        "</title><link>https://news.google.com/</link><item>"
        f"<title>{title} - {outlet}</title><link>https://news.google.com/a</link>"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f'<source url="https://outlet.test">{outlet}</source></item></channel></rss>'
    ).encode()


@pytest.mark.parametrize("kind", ["gdelt", "google_news"])
async def test_search_sources_get_the_same_treatment(feeds: FeedServer, kind: str) -> None:
    """GDELT's titles were not cleaned at all; both search sources' dates are checked too."""
    title = "Lachin \u202esdaor\u202c\u200f reopen"
    source: Source
    if kind == "gdelt":
        feeds.set(
            "/gdelt", _gdelt_answer(title, "99991231T235959Z"), content_type="application/json"
        )
        source = GdeltSource("GDELT", feeds.url("/gdelt"), 60, pacer=Pacer(0))
    else:
        feeds.set("/search", _google_answer(title, "Out\u2067let\u2069", FAR))
        source = GoogleNewsSource("Google News", feeds.url("/search"), 60)
    now = datetime.now(UTC).replace(microsecond=0)
    async with httpx.AsyncClient() as client:
        collected = await collect(client, source, SourceState(), ["Lachin"], load_aliases(), now)
    [report] = await on_cpu(plain_reports, collected.reports, now)  # as a poll cleans new ones
    assert report.title == "Lachin sdaor reopen"
    assert _hidden(report.outlet) == set()
    assert report.published == now
