"""Which sources to poll: the one module that knows every kind of source.

The settings switch sources on (the curated feeds, extra feed URLs, Google News, GDELT) and
give each its URL; `configured_sources` builds them, each named uniquely and stably, since a
name keys the source's stored state. Everything else sees only the `watchers.sources.Source`
protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from watchers.feeds.catalog import load_sources
from watchers.feeds.source import FeedSource
from watchers.gdelt import GDELT_MIN_INTERVAL_SECONDS, GdeltSource
from watchers.google_news import GoogleNewsSource
from watchers.sources import Source

__all__ = ["configured_sources"]


def _feed_name(url: str) -> str:
    """Host and path: readable in /sources and logs, without a query string that may hold a key."""
    parts = urlsplit(url)
    return f"{parts.hostname or ''}{parts.path}".rstrip("/") or url


def _unique(name: str, taken: set[str]) -> str:
    number = 2
    candidate = name
    while candidate in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate


def configured_sources(
    *,
    feeds: Sequence[str],
    default_sources: bool,
    google_news_url: str | None,
    gdelt_url: str | None,
    poll_seconds: float,
) -> list[Source]:
    """Every source the settings switch on, each named uniquely and stably."""
    sources: list[Source] = []
    if default_sources:
        sources += load_sources(interval=poll_seconds)
    known = {s.url for s in sources}
    names = {s.name for s in sources}
    for url in dict.fromkeys(feeds):
        if url not in known:
            name = _unique(_feed_name(url), names)
            names.add(name)
            sources.append(FeedSource(name, url, poll_seconds))
    if google_news_url:
        sources.append(GoogleNewsSource("Google News", google_news_url, poll_seconds))
    if gdelt_url:
        interval = max(poll_seconds, GDELT_MIN_INTERVAL_SECONDS)
        sources.append(GdeltSource("GDELT", gdelt_url, interval))
    return sources
