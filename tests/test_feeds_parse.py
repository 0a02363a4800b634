"""Tests for `parse_feed` on handwritten fixtures: each feed format, both parsers, the fallback
between them, plain text and bounded fields."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fakes import Item, make_rss
from watchers.feeds import (
    MAX_OUTLET_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    FeedResult,
    parse_feed,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"
REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


def parse(name: str, feed_url: str = "https://feeds.example/feed.xml") -> FeedResult:
    return parse_feed((FIXTURES / name).read_bytes(), source="test", feed_url=feed_url)


def test_rss2_cdata_ttl_and_tracking_parameters() -> None:
    result = parse("rss2_cdata_ttl.xml")
    assert result.ok
    assert result.error is None
    assert result.title == "Caucasus Wire - World"
    assert result.ttl_minutes == 15
    ids = [report.id for report in result.reports]
    assert ids == [
        "https://caucasuswire.example/news/articles/lachin-corridor-reopens",
        "https://caucasuswire.example/news/articles/karabakh-returnees?id=42",
        "https://caucasuswire.example/news/articles/relative-story",
        "g:cw-bulletin-2026-0042",
    ]
    lachin = result.reports[0]
    assert lachin.title == "Lachin corridor reopens to civilian traffic"
    assert lachin.url.endswith("lachin-corridor-reopens?at_medium=RSS&at_campaign=rss")
    assert lachin.canonical_url == lachin.id
    assert "<b>Lachin</b>" in lachin.text
    assert lachin.published == datetime(2026, 2, 17, 18, 55, 33, tzinfo=UTC)
    assert lachin.language == "en"
    assert lachin.domain == "caucasuswire.example"
    assert lachin.outlet == "Caucasus Wire - World"
    assert lachin.source == "test"


def test_rss2_item_details() -> None:
    reports = parse("rss2_cdata_ttl.xml").reports
    returnees, relative, bulletin = reports[1], reports[2], reports[3]
    assert returnees.title == "Talks on Karabakh returnees & property claims"
    assert returnees.outlet == "Partner Agency"
    assert returnees.published == datetime(2026, 2, 18, 3, 5, tzinfo=UTC)
    assert relative.url == "https://www.caucasuswire.example/news/articles/relative-story"
    assert relative.published == datetime(2026, 2, 18, 8, 0, tzinfo=UTC)
    assert bulletin.url == ""
    assert bulletin.canonical_url == ""
    assert bulletin.published is None


def test_atom_feed() -> None:
    result = parse("atom.xml", feed_url="https://cdn.example/feeds/analysis.atom")
    assert result.ok
    zangezur, budget = result.reports
    assert zangezur.url == "https://analysis.example/2026/02/zangezur-matters"
    assert zangezur.title == "Why Zangezur matters to Yerevan"
    assert "<strong>Zangezur</strong>" in zangezur.text
    assert zangezur.published == datetime(2026, 2, 18, 5, 15, tzinfo=UTC)
    assert zangezur.language == "en"
    assert budget.published == datetime(2026, 2, 17, 21, 0, tzinfo=UTC)
    assert budget.text == "Budget vote in Tbilisi."


def test_rss1_rdf_feed() -> None:
    result = parse("rss1_rdf.xml")
    assert result.ok
    assert result.title == "Radio Example English"
    assert [report.id for report in result.reports] == [
        "https://radio.example/en/baku-summit/a-100",
        "https://radio.example/en/yerevan-protest/a-101",
    ]
    assert result.reports[1].published == datetime(2026, 2, 17, 18, 40, tzinfo=UTC)
    assert all(report.language == "en" for report in result.reports)


@pytest.fixture(params=["fastfeedparser", "feedparser"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once as parsed normally and once with fastfeedparser failing."""
    if request.param == "feedparser":

        def broken(*args: object, **kwargs: object) -> None:
            raise ValueError("simulated failure")

        monkeypatch.setattr("fastfeedparser.parse", broken)
    return str(request.param)


def test_rss091_netscape_feed(parser: str) -> None:
    result = parse("rss091_netscape.xml", feed_url="http://bulletin.example/rss.xml")
    assert (result.ok, result.error, result.title, result.ttl_minutes) == (
        True,
        None,
        "Tbilisi Bulletin",
        None,
    )
    assert len(result.reports) == 2
    rail, cafes = result.reports
    assert rail.id == rail.canonical_url == "http://bulletin.example/stories/rail-link.html"
    assert rail.url == "http://www.bulletin.example/stories/rail-link.html"
    assert rail.title == "Gyumri & Vanadzor rail link reopens"
    assert rail.text == "Trains run again between Gyumri and Vanadzor after repairs."
    assert cafes.id == "http://bulletin.example/stories/batumi-cafes.html"
    assert cafes.url == "http://bulletin.example/stories/batumi-cafes.html?src=rss"
    assert cafes.title == "Caf\u00e9 owners in Batumi protest new rules"
    assert cafes.text == "Owners of Batumi caf\u00e9s say the rules came without warning."
    for report in result.reports:
        assert report.published is None
        assert (report.outlet, report.domain, report.language) == (
            "Tbilisi Bulletin",
            "bulletin.example",
            "en",
        )


def test_rss092_feed(parser: str) -> None:
    result = parse("rss092.xml", feed_url="http://kura.example/rss.xml")
    assert (result.ok, result.error, result.title) == (True, None, "Kura Valley Notes")
    assert [report.id for report in result.reports] == [
        "http://kura.example/notes/mingachevir",
        "http://kura.example/notes/untitled-brief",
    ]
    reservoir, brief = result.reports
    assert reservoir.title == "Mingachevir reservoir at record level"
    assert reservoir.text == "Water managers <b>opened</b> two gates on Tuesday."
    assert reservoir.published == datetime(2026, 2, 17, 12, 45, tzinfo=UTC)
    assert (reservoir.outlet, reservoir.domain) == ("Wire Example", "kura.example")
    assert brief.title == ""
    assert brief.text.startswith("A brief without a title")
    assert (brief.published, brief.outlet) == (None, "Kura Valley Notes")
    assert all(report.language == "az" for report in result.reports)


def test_html_named_entities_keep_the_text_after_them(parser: str) -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Ents</title><item>'
        b"<title>Caf&eacute;&nbsp;talks &hellip; resume</title><link>https://e.example/1</link>"
        b"<description>Before&nbsp;after &amp; <![CDATA[<i>it&rsquo;s</i>]]></description>"
        b"</item></channel></rss>"
    )
    (report,) = parse_feed(body, source="e", feed_url="https://e.example/rss").reports
    assert report.title == "Caf\u00e9 talks \u2026 resume"
    assert report.text == "Before\u00a0after & <i>it&rsquo;s</i>"


def test_feed_without_declaration_and_per_fetch_guids() -> None:
    body = (FIXTURES / "no_declaration_per_fetch_guids.xml").read_bytes()
    first = parse_feed(body, source="gulf", feed_url="https://www.gulf.example/xml/rss/all.xml")
    refetched = parse_feed(
        body.replace(b"?t=17713", b"?t=17719"),
        source="gulf",
        feed_url="https://www.gulf.example/xml/rss/all.xml",
    )
    assert first.title == "Gulf Example \u2013 Breaking News"
    assert len(first.reports) == 2
    assert [r.id for r in first.reports] == [r.id for r in refetched.reports]
    assert all("?t=" not in r.id and "traffic_source" not in r.id for r in first.reports)


def test_two_guids_and_repeated_item_give_one_report() -> None:
    result = parse("two_guids.xml")
    assert result.ttl_minutes == 300
    assert [report.id for report in result.reports] == ["http://puzzles.example/1234.html"]


def test_truncated_cdata_degrades_without_raising() -> None:
    result = parse("truncated_cdata.xml")
    assert not result.ok
    assert result.reports == []
    assert result.error == (
        "malformed feed: <unknown>:5:0: XML or text declaration not at start of entity"
    )


def test_truncated_cdata_after_good_item_keeps_the_good_item() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut</title>'
        b"<item><title>Complete item</title><link>https://cut.example/a</link></item>"
        b"<item><title><![CD"
    )
    result = parse_feed(body, source="cut", feed_url="https://cut.example/rss")
    assert [report.title for report in result.reports] == ["Complete item"]


def test_malformed_feed_with_undeclared_prefixes_is_recovered() -> None:
    result = parse("malformed_prefix.xml")
    assert result.ok
    assert result.ttl_minutes == 1440
    assert [report.title for report in result.reports] == [
        "notes from gyumri",
        "back from batumi",
        "sevan at dawn",
    ]
    assert result.reports[0].published == datetime(2026, 1, 19, tzinfo=UTC)
    assert result.reports[1].published == datetime(2025, 12, 29, tzinfo=UTC)


def test_armenian_azerbaijani_and_russian_titles() -> None:
    result = parse("caucasus_multilingual.xml")
    assert result.title == "Կովկաս Լուրեր"
    titles = [report.title for report in result.reports]
    assert titles == [
        "Լաչինի միջանցքում բեռնատարներ են անցել",
        "Laçın dəhlizində yük maşınları keçib",
        "Через Лачинский коридор прошли грузовики",
    ]
    assert all(report.language == "hy" for report in result.reports)


def test_windows_1251_feed() -> None:
    result = parse("russian_cp1251.xml")
    (report,) = result.reports
    assert report.title == "Карабах: переговоры возобновятся в марте"
    assert report.outlet == "Новости Кавказа"
    assert report.language == "ru"


def test_empty_but_valid_feed_is_ok() -> None:
    result = parse("empty_channel.xml")
    assert (result.ok, result.error, result.reports, result.title) == (True, None, [], "Quiet feed")


NOT_WELL_FORMED = "malformed feed: <unknown>:2:0: not well-formed (invalid token)"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "empty response"),
        (b"   \n", "empty response"),
        (
            (FIXTURES / "not_a_feed.html").read_bytes(),
            "malformed feed: not an RSS, RDF or Atom document",
        ),
        (b"\x00\xff\xfe garbage \x89PNG", NOT_WELL_FORMED),
        (b'{"articles": []}', NOT_WELL_FORMED),
    ],
)
def test_non_feeds_fail_without_raising(body: bytes, error: str) -> None:
    result = parse_feed(body, source="x", feed_url="https://x.example/feed")
    assert (result.ok, result.reports, result.error) == (False, [], error)


def test_a_ttl_of_digits_int_cannot_read_keeps_the_reports(parser: str) -> None:
    """A digit to str.isdigit() but not to int() ("²"): feedparser's path raised on it, and
    the whole feed came back as a parse error."""
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        b"<link>https://x.test/</link><ttl>\xc2\xb2</ttl><item><title>Convoy reaches Lachin"
        b"</title><link>https://x.test/a</link></item></channel></rss>"
    )
    result = parse_feed(body, source="x", feed_url="https://x.test/feed")
    assert (result.ok, len(result.reports), result.ttl_minutes) == (True, 1, None)


def test_links_urlsplit_cannot_read_are_dropped_not_the_feed(parser: str) -> None:
    """An unclosed IPv6 bracket in a channel link, an item link or a guid raised from urljoin or
    canonical_url, and the whole feed came back as a parse error. Such an item is kept as one
    without a link (identified by its guid), like any other."""
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        b"<link>https://[::1/</link>"
        b"<item><title>Bad link</title><link>https://[::1/a</link></item>"
        b"<item><title>Bad relative link</title><link>//[::1/b</link></item>"
        b'<item><title>Bad guid</title><guid isPermaLink="true">https://[::1/c</guid></item>'
        b"<item><title>Convoy reaches Lachin</title><link>https://x.test/d</link></item>"
        b"</channel></rss>"
    )
    result = parse_feed(body, source="x", feed_url="https://x.test/feed")
    assert result.ok
    assert result.reports[-1].title == "Convoy reaches Lachin"
    assert [r.url for r in result.reports] == [""] * (len(result.reports) - 1) + [
        "https://x.test/d"
    ]


def test_falls_back_to_feedparser_when_fastfeedparser_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("simulated failure")

    monkeypatch.setattr("fastfeedparser.parse", broken)
    result = parse("rss2_cdata_ttl.xml")
    assert result.ok
    assert len(result.reports) == 4
    assert result.reports[1].outlet == "Partner Agency"
    assert result.ttl_minutes == 15


def test_never_raises_even_when_both_parsers_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated failure")

    monkeypatch.setattr("fastfeedparser.parse", broken)
    monkeypatch.setattr("feedparser.parse", broken)
    result = parse("rss2_cdata_ttl.xml")
    assert not result.ok
    assert result.error == "parse error: RuntimeError"


PLAIN_TITLE = "Ceasefire <violations> & shelling"


def _one_item(title: str, description: str, channel: str = "Wire") -> bytes:
    return make_rss([Item(title, "https://wire.test/a", description)], title=channel)


def test_a_plain_text_title_keeps_its_tag_shaped_words(parser: str) -> None:
    """Everything tag-shaped was stripped: `<violations>` vanished from title and text."""
    result = parse_feed(_one_item(PLAIN_TITLE, PLAIN_TITLE, PLAIN_TITLE), source="t", feed_url="x")
    [report] = result.reports
    assert report.title == PLAIN_TITLE
    assert report.outlet == PLAIN_TITLE
    assert result.title == PLAIN_TITLE
    assert report.text == PLAIN_TITLE


def test_real_html_is_still_made_plain(parser: str) -> None:
    # make_rss escapes, so the XML carries entity-encoded HTML as RSS descriptions do
    body = _one_item("<p>Text <b>bold</b></p>", "<p>Text <b>bold</b> &amp;lt;b&amp;gt;</p>")
    [report] = parse_feed(body, source="t", feed_url="x").reports
    assert report.title == "Text bold"
    assert "<b>bold</b>" in report.text  # HTML until the poll cleans it (watchers.summary)


def test_huge_fields_are_bounded() -> None:
    body = make_rss(
        [Item("Lachin " * 2000, "https://wire.test/" + "a" * MAX_URL_LENGTH, "text " * 50_000)],
        title="Caucasus Wire " * 360,
    )
    result = parse_feed(body, source="t", feed_url="x")
    assert len(result.title) <= MAX_OUTLET_LENGTH
    assert result.title.endswith("Wire…")
    assert result.reports == []  # a link over the limit, and no guid: nothing identifies it
    body = make_rss(
        [Item("Lachin " * 2000, "https://wire.test/a", "text " * 50_000)],
        title="Caucasus Wire " * 360,
    )
    [report] = parse_feed(body, source="t", feed_url="x").reports
    assert len(report.title) <= MAX_TITLE_LENGTH
    assert report.title.startswith("Lachin Lachin")
    assert len(report.outlet) <= MAX_OUTLET_LENGTH
    assert len(report.text) <= MAX_TEXT_LENGTH
