"""Which sources the settings switch on, and how they are named."""

from __future__ import annotations

from watchers.feeds.catalog import load_sources
from watchers.gdelt import GDELT_MIN_INTERVAL_SECONDS
from watchers.registry import configured_sources


def test_defaults_extra_feeds_and_search_sources() -> None:
    sources = configured_sources(
        feeds=["https://extra.test/rss", "https://extra.test/rss"],
        default_sources=True,
        google_news_url="https://gn.test/rss/search",
        gdelt_url="https://gdelt.test/doc",
        poll_seconds=2,
    )
    built_in = load_sources()
    assert [s.url for s in sources[: len(built_in)]] == [s.url for s in built_in]
    extra = sources[len(built_in)]
    assert (extra.name, extra.kind, extra.interval) == ("extra.test/rss", "feed", 2)
    assert [s.kind for s in sources[len(built_in) + 1 :]] == ["google_news", "gdelt"]
    assert sources[-1].interval == GDELT_MIN_INTERVAL_SECONDS  # GDELT's own limit wins over 2 s
    names = [s.name for s in sources]
    assert len(names) == len(set(names))  # a name keys the stored state


def test_everything_can_be_switched_off() -> None:
    assert (
        configured_sources(
            feeds=[], default_sources=False, google_news_url=None, gdelt_url=None, poll_seconds=300
        )
        == []
    )


def test_an_extra_feed_already_in_the_defaults_is_not_polled_twice() -> None:
    url = load_sources()[0].url
    sources = configured_sources(
        feeds=[url], default_sources=True, google_news_url=None, gdelt_url=None, poll_seconds=300
    )
    assert [s.url for s in sources].count(url) == 1


def test_extra_feeds_are_named_without_their_query_string() -> None:
    sources = configured_sources(
        feeds=["https://api.test/feed?key=SECRET1", "https://api.test/feed?key=SECRET2"],
        default_sources=False,
        google_news_url=None,
        gdelt_url=None,
        poll_seconds=300,
    )
    assert [s.name for s in sources] == ["api.test/feed", "api.test/feed (2)"]
    assert [s.url for s in sources] == [
        "https://api.test/feed?key=SECRET1",
        "https://api.test/feed?key=SECRET2",
    ]
