"""Tests for Google News search URLs and feed parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.config import DEFAULT_GOOGLE_NEWS_URL as GN
from watchers.feeds import parse_google_news, split_publisher
from watchers.google_news import build_search_urls, quote_term

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "feeds" / "google_news.xml"
FEED_URL = "https://news.google.com/rss/search?q=Lachin&hl=en-US&gl=US&ceid=US:en"


def queries(urls: list[str]) -> list[str]:
    return [parse_qs(urlsplit(url).query)["q"][0] for url in urls]


def test_single_batch_quotes_phrases_and_ors_terms() -> None:
    urls = build_search_urls(["Lachin", "Nagorno Karabakh", "Qarabağ"], GN)
    assert len(urls) == 1
    assert urls[0].startswith(GN + "?q=")
    assert queries(urls) == ['Lachin OR "Nagorno Karabakh" OR Qarabağ']
    params = parse_qs(urlsplit(urls[0]).query)
    assert (params["hl"], params["gl"], params["ceid"]) == (["en-US"], ["US"], ["US:en"])
    assert " " not in urls[0]


def test_terms_are_deduplicated_by_folded_form() -> None:
    urls = build_search_urls(["Laçın", "LACIN", "lacin ", "", "  ", "Xankəndi", "Xankendi"], GN)
    (query,) = queries(urls)
    assert query.split(" OR ") == ["LACIN", "Xankendi"]
    assert build_search_urls(["Xankendi", "Laçın", "LACIN"], GN) == urls


def test_order_is_deterministic() -> None:
    terms = ["Shusha", "Lachin", "Karabakh", "Zangezur", "Gyumri"]
    assert build_search_urls(terms, GN) == build_search_urls(list(reversed(terms)), GN)
    assert build_search_urls(set(terms), GN) == build_search_urls(terms, GN)


def test_batches_stay_under_the_length_limit_and_cover_every_term() -> None:
    terms = [f"Village number {i} near Lachin" for i in range(60)] + ["Лачин", "Карабах"]
    urls = build_search_urls(terms, GN, max_url_length=400, hl="ru", gl="RU", ceid="RU:ru")
    assert len(urls) > 1
    assert all(len(url) <= 400 for url in urls)
    found = [term for query in queries(urls) for term in query.split(" OR ")]
    assert sorted(found) == sorted([f'"{term}"' for term in terms[:60]] + ["Лачин", "Карабах"])
    assert parse_qs(urlsplit(urls[0]).query)["ceid"] == ["RU:ru"]


def test_term_too_long_for_any_url_is_dropped() -> None:
    urls = build_search_urls(["x" * 500, "Lachin"], GN, max_url_length=200)
    assert queries(urls) == ["Lachin"]


def test_no_terms_means_no_urls() -> None:
    assert build_search_urls([], GN) == []
    assert build_search_urls(["", "   "], GN) == []


def test_custom_base_url() -> None:
    (url,) = build_search_urls(["Lachin"], "http://127.0.0.1:9/rss/search")
    assert url.startswith("http://127.0.0.1:9/rss/search?q=Lachin&")


def test_parse_google_news_fixture() -> None:
    result = parse_google_news(FIXTURE.read_bytes(), source="google-news", feed_url=FEED_URL)
    assert result.ok
    assert result.error is None
    assert result.title == '"Lachin" OR Karabakh - Google News'
    titles = [report.title for report in result.reports]
    assert titles == [
        "Lachin checkpoint reopens for aid convoys",
        "Armenia - Azerbaijan border commission meets again",
        "Returnees to Qarabağ villages receive keys",
        "South Caucasus water disputes heat up",
    ]
    outlets = [(report.outlet, report.domain) for report in result.reports]
    assert outlets == [
        ("OC Media", "oc-media.org"),
        ("JAMnews", "jam-news.net"),
        ("APA", "en.apa.az"),
        ("Eurasianet", "news.google.com"),
    ]
    first = result.reports[0]
    assert first.url.startswith("https://news.google.com/rss/articles/CBMi")
    assert first.id == first.canonical_url == first.url
    assert first.published == datetime(2026, 2, 17, 14, 3, tzinfo=UTC)
    assert first.language == "en"
    assert first.text.startswith('<a href="https://news.google.com/rss/articles/')
    assert first.source == "google-news"


def test_refetch_gives_the_same_ids() -> None:
    body = FIXTURE.read_bytes()
    first = parse_google_news(body, source="g", feed_url=FEED_URL)
    again = parse_google_news(
        body.replace(b"2026 08:00:00", b"2026 09:00:00"), source="g", feed_url=FEED_URL
    )
    assert [r.id for r in first.reports] == [r.id for r in again.reports]


def test_parse_google_news_degrades_on_garbage() -> None:
    result = parse_google_news(b"<html>Sorry...</html>", source="g", feed_url=FEED_URL)
    assert not result.ok
    assert result.reports == []
    assert result.error == "malformed feed: not an RSS, RDF or Atom document"


def test_quote_term() -> None:
    assert quote_term("Lachin") == "Lachin"
    assert quote_term("Nagorno Karabakh") == '"Nagorno Karabakh"'
    assert quote_term("Nagorno-Karabakh") == '"Nagorno-Karabakh"'
    assert quote_term("Лачин") == "Лачин"


def test_split_publisher() -> None:
    assert split_publisher("Headline - OC Media", "OC Media") == "Headline"
    assert split_publisher("Headline - oc media", "OC Media") == "Headline"
    assert split_publisher("A - B talks - JAMnews", "JAMnews") == "A - B talks"
    assert split_publisher("Headline - Other Outlet", "OC Media") == "Headline - Other Outlet"
    assert split_publisher("OC Media", "OC Media") == "OC Media"
    assert split_publisher("Headline", "") == "Headline"


def test_the_headline_key_is_of_the_title_without_the_publisher() -> None:
    """The same story from the outlet's own feed must meet it: its key is made again once the
    publisher is split off the title."""
    result = parse_google_news(FIXTURE.read_bytes(), source="google-news", feed_url=FEED_URL)
    first = result.reports[0]
    assert first.headline_key == "oc-media.org|lachin checkpoint reopens for aid convoys"
