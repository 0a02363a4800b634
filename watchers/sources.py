"""Which sources to poll, and the one interface every kind of source implements.

Each kind lives beside its parser and owns its fetching policy: `watchers.feeds.FeedSource`
(conditional GETs of an RSS/Atom feed), `watchers.google_news.GoogleNewsSource` and
`watchers.gdelt.GdeltSource` (searches for the watched spellings, GDELT paced to its limit).
The poller only calls `collect`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from watchers.feeds import FeedSource, load_sources
from watchers.gdelt import GDELT_MIN_INTERVAL_SECONDS, GdeltSource
from watchers.google_news import GoogleNewsSource
from watchers.models import Collected, SourceState

__all__ = ["SAMPLE_FEED", "Source", "configured_sources"]

SAMPLE_FEED = Path(__file__).parent / "data" / "sample_feed.xml"
"""Invented stories shipped for the dry run, so a first `newswatch` shows alerts offline."""


class Source(Protocol):
    """One thing to poll on its own schedule; `name` keys its stored state."""

    @property
    def name(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def interval(self) -> float: ...
    @property
    def verified(self) -> bool:
        """False for a listed URL nobody has yet seen answer with a feed."""

    @property
    def kind(self) -> str:
        """Shown to operators in /sources."""

    @property
    def searches(self) -> bool:
        """True for a search engine: asked for the watched terms, and its results may be old
        news that only a newly watched keyword brought up."""

    async def collect(
        self, client: httpx.AsyncClient, state: SourceState, terms: Sequence[str], now: datetime
    ) -> Collected:
        """Fetch and parse; never raise for network or content trouble (`Collected.error`)."""


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
