"""Tests for report identity: canonical URLs, domains, guid stability and report ids."""

from __future__ import annotations

import pytest

from watchers.identity import canonical_url, domain_of, is_stable_guid, report_id


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.bbc.com/news/articles/cp81?at_medium=RSS&at_campaign=rss",
            "https://bbc.com/news/articles/cp81",
        ),
        ("https://www.bbc.com/news/articles/cp81#0", "https://bbc.com/news/articles/cp81"),
        (
            "https://www.aljazeera.com/news/2026/2/18/story?traffic_source=rss",
            "https://aljazeera.com/news/2026/2/18/story",
        ),
        (
            "https://site.example/a?utm_source=x&UTM_Medium=y&fbclid=1&gclid=2&ref=tw&igshid=3",
            "https://site.example/a",
        ),
        (
            "https://dw.example/en/story/a-1?maca=en-rss-en-all-1573-rdf",
            "https://dw.example/en/story/a-1",
        ),
        ("HTTPS://WWW.Example.COM/Path/To/Story", "https://example.com/Path/To/Story"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com:80/x", "http://example.com/x"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/news/story/", "https://example.com/news/story"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/?b=2&a=1", "https://example.com/?a=1&b=2"),
        ("https://site.example/?p=123&utm_source=rss", "https://site.example/?p=123"),
        ("https://site.example/view?id=7&article=9", "https://site.example/view?article=9&id=7"),
        ("https://site.example/s?q=caf%C3%A9+bar", "https://site.example/s?q=caf%C3%A9+bar"),
        ("  https://site.example/x  ", "https://site.example/x"),
        ("tag:analysis.example,2026:entry/101", "tag:analysis.example,2026:entry/101"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_keeps_scheme_and_path_case() -> None:
    assert canonical_url("http://Example.com/A") != canonical_url("https://example.com/A")
    assert canonical_url("https://example.com/A") != canonical_url("https://example.com/a")


def test_canonical_url_unwraps_google_redirect_only_when_target_is_present() -> None:
    wrapped = "https://news.google.com/url?sa=t&url=https://oc-media.org/story/?utm_source=gn"
    assert canonical_url(wrapped) == "https://oc-media.org/story"
    google = "https://www.google.com/url?q=https://jam-news.net/x&sa=D"
    assert canonical_url(google) == "https://jam-news.net/x"
    article = "https://news.google.com/rss/articles/CBMiabc?oc=5"
    assert canonical_url(article) == article


def test_raw_and_encoded_non_ascii_urls_meet() -> None:
    raw = "https://news.am/arm/news/լուր/?q=Լաչին"
    encoded = "https://news.am/arm/news/%d5%ac%d5%b8%d6%82%d6%80?q=%D4%BC%D5%A1%D5%B9%D5%AB%D5%B6"
    assert canonical_url(raw) == canonical_url(encoded)
    assert canonical_url(raw).isascii()


def test_internationalised_host_is_punycoded() -> None:
    assert canonical_url("https://президент.рф/news") == "https://xn--d1abbgf6aiiy.xn--p1ai/news"


def test_same_story_from_link_and_guid_meets() -> None:
    link = "https://www.bbc.com/news/articles/cp81?at_medium=RSS&at_campaign=rss"
    guid = "https://www.bbc.com/news/articles/cp81#0"
    assert canonical_url(link) == canonical_url(guid)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.BBC.com/news/articles/cp81?at_medium=RSS", "bbc.com"),
        ("http://en.apa.az:8080/x", "en.apa.az"),
        ("https://www2.example.org/", "www2.example.org"),
        ("//caucasuswire.example", "caucasuswire.example"),
        ("https://127.0.0.1:9999/feed?key=secret", "127.0.0.1"),
        ("https://[::1", ""),
        ("tag:analysis.example,2026:entry/101", ""),
        ("/relative/path", ""),
        ("", ""),
    ],
)
def test_domain_of(url: str, expected: str) -> None:
    assert domain_of(url) == expected


@pytest.mark.parametrize(
    ("guid", "stable"),
    [
        (None, False),
        ("", False),
        ("   ", False),
        ("https://www.aljazeera.com/?t=1771374614", False),
        ("https://site.example/feed-item?ts=1771374614123", False),
        ("https://site.example/", False),
        ("https://site.example/?p=123", True),
        ("https://site.example/?t=recent", True),
        ("https://www.bbc.com/news/articles/cp81#0", True),
        ("CBMiggFodHRwczovL29jLW1lZGlh", True),
        ("tag:analysis.example,2026:entry/101", True),
    ],
)
def test_is_stable_guid(guid: str | None, stable: bool) -> None:
    assert is_stable_guid(guid) is stable


def test_report_id_prefers_canonical_url() -> None:
    canonical = canonical_url("https://www.bbc.com/news/articles/cp81?at_medium=RSS")
    assert report_id(canonical, "https://www.bbc.com/news/articles/cp81#0", True) == canonical
    assert report_id(canonical, "https://www.aljazeera.com/?t=1", False) == canonical


def test_report_id_falls_back_to_stable_guid() -> None:
    assert report_id("", "cw-bulletin-2026-0042", True) == "g:cw-bulletin-2026-0042"
    assert report_id("", "https://www.bbc.com/news/articles/cp81#0", True) == (
        "https://bbc.com/news/articles/cp81"
    )


def test_report_id_is_empty_without_identity() -> None:
    assert report_id("", "https://www.aljazeera.com/?t=1771374614", False) == ""
    assert report_id("", None, True) == ""
    assert report_id("", "  ", True) == ""


@pytest.mark.parametrize("url", ["https://[::1/story", "http://[zz]/"])
def test_a_url_urlsplit_cannot_read_is_kept_as_given_not_raised_on(url: str) -> None:
    """An unclosed IPv6 bracket made urlsplit raise out of canonical_url and is_stable_guid, which
    lost a whole feed, or a whole GDELT poll, for one item's link."""
    assert canonical_url(url) == url
    assert report_id("", url, is_stable_guid(url)) in ("", url)
