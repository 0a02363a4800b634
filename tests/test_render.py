"""Alerts and /latest lines as Telegram HTML, checked by the fake server's copy of Telegram's
parser."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.render import (
    MAX_FORM_LENGTH,
    MAX_KEYWORD_LENGTH,
    MAX_OUTLET_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TITLE_LENGTH,
    NAMED_OUTLETS,
    render_alert,
    render_alert_plain,
    render_report_line,
)
from fakes import FakeTelegram, FeedServer, Item, make_rss, parse_html
from tests.conftest import BotHarness
from tests.test_jobs import _name, _polled
from watchers.models import Alert, Outlet, Report

WHEN = datetime(2026, 11, 24, 9, 15, tzinfo=UTC)


def _report(
    title: str = "Convoy reaches Laçın", url: str = "https://wire.test/a?x=1&y=<2>"
) -> Report:
    return Report(
        id=url, url=url, canonical_url=url, title=title, outlet="A&B <News>", published=WHEN
    )


def test_alert_is_valid_html_with_everything_escaped() -> None:
    alert = Alert(
        1,
        _report("Tanks & <talks> in Laçın"),
        "Lachin",
        "Laçın",
        "Trucks crossed <b>the</b> checkpoint & more.",
    )
    text, entities = parse_html(render_alert(alert))
    assert text.splitlines() == [
        "Tanks & <talks> in Laçın",
        "A&B <News> · 24 Nov 2026 09:15 UTC",
        "🔎 Lachin (as “Laçın”)",
        "Trucks crossed <b>the</b> checkpoint & more.",
    ]
    [link] = [e for e in entities if e["type"] == "text_link"]
    assert link["url"] == "https://wire.test/a?x=1&y=<2>"


def _storied(*others: Outlet, country: str | None = "AZ") -> Alert:
    report = replace(_report(), story="https://wire.test/a", country=country)
    return Alert(1, report, "Lachin", "Laçın", "Trucks crossed.", others=others)


def test_an_alert_names_who_else_carried_its_story_and_their_countries() -> None:
    others = [
        Outlet("Report.az", "az", "AZ", "https://report.az/1"),
        Outlet("TVN24", "pl", "PL", "https://tvn24.pl/2"),
        Outlet("Armenpress", "hy", "AM", "https://armenpress.am/3"),
        Outlet("TASS", "ru", "RU", "https://tass.ru/4"),
        Outlet("BBC", "en", "GB", "https://bbc.co.uk/5"),
        Outlet("Anon", None, None, "https://anon.test/6"),
    ]
    text, entities = parse_html(render_alert(_storied(*others)))
    assert text.splitlines()[-2:] == [
        "Also reported by: Report.az (az), TVN24 (pl), Armenpress (hy), TASS (ru), +2",
        "Reported in AZ, PL, AM, RU, GB",
    ]
    links = [e["url"] for e in entities if e["type"] == "text_link"][1:]
    assert links == [o.url for o in others[:NAMED_OUTLETS]]
    plain = render_alert_plain(_storied(*others))
    assert "Also reported by: Report.az (az), TVN24 (pl), Armenpress (hy), TASS (ru), +2" in plain


def test_a_story_one_outlet_carries_is_marked_as_such() -> None:
    text, _ = parse_html(render_alert(_storied()))
    assert text.splitlines()[-1] == "Single source so far: only A&B <News>"
    assert "Reported in" not in text
    unstoried = Alert(1, _report(), "Lachin", "Laçın", "Trucks crossed.")
    assert "Single source" not in render_alert(unstoried)  # stored before stories: unknown


def test_one_country_is_not_named() -> None:
    text, _ = parse_html(render_alert(_storied(Outlet("APA", "en", "az", "https://apa.az/1"))))
    assert "Reported in" not in text


def test_the_line_for_reports_past_the_cap_names_their_origin_escaped_and_bounded() -> None:
    line = Alert(1, _report(), "Lachin", "", "", more=4962, origin="A&B <News>\u202e" + "x" * 500)
    text, _ = parse_html(render_alert(line))
    assert text.startswith("+4,962 more from A&B <News>x")
    assert text.endswith("…: /latest")
    assert "\u202e" not in text
    assert len(text) < MAX_OUTLET_LENGTH + 40
    assert render_alert_plain(line) == text
    assert render_alert(replace(line, origin=" \u202e ")) == "+4,962 more: /latest"


def test_the_form_is_named_only_when_it_differs_from_the_keyword() -> None:
    same = Alert(1, _report(), "lachin", "Lachin", "")
    assert "(as" not in render_alert(same)
    exact = Alert(1, _report(), "=Lachin", "Lachin", "")
    assert "(as" not in render_alert(exact)


def test_a_huge_title_is_cut_at_a_word() -> None:
    title = "word " * 400
    text, _ = parse_html(render_alert(Alert(1, _report(title), "word", "word", "s")))
    first = text.splitlines()[0]
    assert len(first) <= MAX_TITLE_LENGTH
    assert first.endswith("word…")


def test_report_line_for_latest() -> None:
    text, _ = parse_html(render_report_line(_report(), WHEN, "Laçın"))
    assert text == "Convoy reaches Laçın\nA&B <News> · 24 Nov 2026 09:15 UTC · matched “Laçın”"


def test_a_report_without_a_url_is_shown_unlinked() -> None:
    report = Report(id="g:1", url="", canonical_url="", title="Bulletin 42", outlet="Wire")
    text, entities = parse_html(render_report_line(report, WHEN))
    assert text.startswith("Bulletin 42\n")
    assert [e["type"] for e in entities] == ["italic"]  # no link to the title's own text


def test_fields_are_one_line_without_invisible_controls() -> None:
    report = Report(
        id="u",
        url="https://wire.test/u",
        canonical_url="https://wire.test/u",
        title="Talks\nresume\x00 in \u202eBaku",
        outlet="Wire\u2066 \x07News",
        published=WHEN,
    )
    text, _ = parse_html(render_alert(Alert(1, report, "Baku", "Baku", "One.\nTwo.")))
    assert text.splitlines() == [
        "Talks resume in Baku",
        "Wire News · 24 Nov 2026 09:15 UTC",
        "🔎 Baku",
        "One. Two.",
    ]


def test_a_title_of_emoji_sequences_is_cut_between_them() -> None:
    family = "👨\u200d👩\u200d👧"
    text, _ = parse_html(render_alert(Alert(1, _report(family * 100), "x", "x", "")))
    title = text.splitlines()[0]
    assert title == family * ((MAX_TITLE_LENGTH - 1) // len(family)) + "…"


# Hostile input: what a feed or a user could put in any field.
HOSTILE = st.sampled_from(
    [
        "<b>",
        "</b>",
        "<a href='x'>",
        "&amp;",
        "&lt;b&gt;",
        "&",
        "<",
        ">",
        '"',
        "&#0;",
        "\u200f",
        "\u202e",
        "\u2066",
        "👨\u200d👩\u200d👧",
        "❤\ufe0f",
        "🇦🇿",
        "e\u0301",
        "\x00",
        "\n",
        " ",
        "Laçın",
        "𝐀",  # astral: two UTF-16 units
    ]
)
PLAIN = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
TEXT = st.lists(st.one_of(HOSTILE, PLAIN), max_size=30).map("".join)
FIELD = st.one_of(TEXT, TEXT.map(lambda t: (t or "x") * (5000 // max(len(t), 1) + 1)))
URL = st.text(st.sampled_from("ab1/?=&<>\"'%#é𝐀"), max_size=40).map(
    lambda t: "https://wire.test/" + t
)


def _visible_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _title_link(text: str, entities: list[dict[str, Any]], url: str) -> None:
    """The first line is the title, linked to the report as a whole."""
    link = next(e for e in entities if e["type"] == "text_link")
    title = text.split("\n", 1)[0]
    assert title.strip()
    assert link["url"] == url
    assert link["offset"] == 0
    assert link["length"] == _visible_units(title)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    title=FIELD,
    outlet=FIELD,
    summary=FIELD,
    keyword=FIELD,
    form=FIELD,
    url=URL,
    others=st.lists(st.tuples(FIELD, FIELD, URL), max_size=12),
)
def test_any_alert_is_accepted_by_telegram_and_well_under_its_limit(
    title: str,
    outlet: str,
    summary: str,
    keyword: str,
    form: str,
    url: str,
    others: list[tuple[str, str, str]],
) -> None:
    report = Report(
        id=url, url=url, canonical_url=url, title=title, outlet=outlet, published=WHEN, story=url
    )
    told = tuple(Outlet(name, code, code, link) for name, code, link in others)
    text, entities = parse_html(render_alert(Alert(1, report, keyword, form, summary, others=told)))
    assert (
        _visible_units(text)
        <= 2
        * (
            MAX_TITLE_LENGTH
            + MAX_OUTLET_LENGTH
            + MAX_KEYWORD_LENGTH
            + MAX_FORM_LENGTH
            + MAX_SUMMARY_LENGTH
            + 60
        )
        + 2 * (NAMED_OUTLETS * (MAX_OUTLET_LENGTH + 12) + 8 * 10 + 60)
        < 4096
    )
    _title_link(text, entities, url)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(title=FIELD, outlet=FIELD, form=FIELD, url=URL)
def test_any_latest_entry_is_accepted_by_telegram_and_well_under_its_limit(
    title: str, outlet: str, form: str, url: str
) -> None:
    report = Report(id=url, url=url, canonical_url=url, title=title, outlet=outlet)
    text, entities = parse_html(render_report_line(report, WHEN, form))
    assert (
        _visible_units(text)
        <= 2 * (MAX_TITLE_LENGTH + MAX_OUTLET_LENGTH + MAX_FORM_LENGTH + 40)
        < 4096 // 3
    )
    _title_link(text, entities, url)


WEATHER = Item("Weather in Tbilisi", "https://wire.test/w", "Sunny.", datetime.now(UTC))


@asynccontextmanager
async def bot_reading_one_feed(
    telegram: FakeTelegram, feeds: FeedServer, settings: Settings, keyword: str, outlet: str
) -> AsyncIterator[BotHarness]:
    """The real bot polling `/wire.xml` (one old item) every second, chat 1001 watching
    `keyword`; yields once a second poll began, so what the feed shows next is alerted."""
    feeds.set("/wire.xml", make_rss([WEATHER], title=outlet))
    harness = BotHarness(
        telegram, replace(settings, feeds=(feeds.url("/wire.xml"),), poll_seconds=1)
    )
    await harness.start()
    try:
        await harness.send(1001, f"/watch {keyword}")
        for _ in range(200):  # the first poll only stores; wait until a second one began
            if len(feeds.requests) >= 2:
                break
            await asyncio.sleep(0.05)
        yield harness
    finally:
        await harness.stop()


async def test_a_feed_with_a_huge_outlet_name_and_tag_shaped_words_alerts_normally(
    telegram: FakeTelegram, feeds: FeedServer, settings: Settings
) -> None:
    """A 5,000-character channel title once made every alert of its feed fail ("message is too
    long") and /latest answer "something went wrong"; a plain title lost `<violations>`."""
    outlet = "Caucasus Wire " * 360
    async with bot_reading_one_feed(telegram, feeds, settings, "Lachin", outlet) as harness:
        mark = telegram.mark()
        title = "Ceasefire <violations> & shelling near Laçın"
        new = Item(
            title,
            "https://wire.test/c?a=1&b=2",
            "Shelling was reported near Laçın.",
            datetime.now(UTC),
        )
        feeds.set("/wire.xml", make_rss([new, WEATHER], title=outlet))
        [alert] = await telegram.wait_for_sent(since=mark, chat_id=1001, timeout=10)
        lines = alert.text.splitlines()
        assert lines[0] == title
        assert "&lt;violations&gt; &amp; shelling" in alert.raw_text
        assert lines[1].startswith("Caucasus Wire Caucasus Wire")
        assert "…" in lines[1]
        assert len(lines[1]) < 120
        assert len(alert.text) < 1000
        [latest] = await harness.send(1001, "/latest")
        assert latest.text.startswith("Latest for your watchlist\n\n" + title)
        assert len(latest.text) < 1000


def test_the_matched_line_names_the_context_that_made_an_ambiguous_name_count() -> None:
    alert = replace(
        Alert(1, _report("Missiles hit Ganja"), "Ganja", "Ganja", "s"), context="Azerbaijan"
    )
    text, _ = parse_html(render_alert(alert))
    assert "🔎 Ganja (as “Ganja”, with “Azerbaijan”)" in text.splitlines()
    assert "🔎 Ganja (as “Ganja”, with “Azerbaijan”)" in render_alert_plain(alert).splitlines()
    assert "with" not in render_alert(replace(alert, context=""))


async def test_an_ambiguous_name_alerts_with_its_context_and_not_without(
    telegram: FakeTelegram, feeds: FeedServer, settings: Settings
) -> None:
    """Through the real bot: cannabis news is not Ganja the city; a report that places Ganja in
    Azerbaijan alerts, and says so."""
    async with bot_reading_one_feed(
        telegram, feeds, settings, "Ganja", "Caucasus Test Wire"
    ) as harness:
        mark = telegram.mark()
        now = datetime.now(UTC)
        weed = Item("Ganja and the Rastafari", "https://wire.test/g1", "A history.", now)
        city = Item(
            "Missiles hit Ganja overnight",
            "https://wire.test/g2",
            "Azerbaijan's second city was struck, officials said.",
            now,
        )
        feeds.set("/wire.xml", make_rss([weed, city, WEATHER]))
        [alert] = await telegram.wait_for_sent(since=mark, chat_id=1001, timeout=10)
        assert alert.text.splitlines()[0] == "Missiles hit Ganja overnight"
        assert "🔎 Ganja (as “Ganja”, with “Azerbaijan's”)" in alert.text.splitlines()
        # Another poll, begun after the alert, has been recorded, and the sender has nothing
        # left to send: still nothing about the Rastafari.
        await _polled(harness, _name("/wire.xml"), after=datetime.now(UTC))
        await harness.sender_idle()
        assert [m for m in telegram.sent[mark:] if m.chat_id == 1001] == [alert]
