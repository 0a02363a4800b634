"""Which sources to poll: the built-in outlet list, extra feeds, Google News and GDELT.

A `Source` is plain data; `watchers.poll` knows how to fetch each kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from watchers.feeds import load_sources
from watchers.gdelt import GDELT_MIN_INTERVAL_SECONDS

__all__ = ["SAMPLE_FEED", "Kind", "Source", "configured_sources"]

SAMPLE_FEED = Path(__file__).parent / "data" / "sample_feed.xml"
"""Invented stories shipped for the dry run, so a first `newswatch` shows alerts offline."""


class Kind(StrEnum):
    FEED = "feed"
    GOOGLE_NEWS = "google_news"
    GDELT = "gdelt"


@dataclass(frozen=True, slots=True)
class Source:
    """One thing to poll on its own schedule; `name` keys its stored state."""

    name: str
    kind: Kind
    url: str
    interval: float
    language: str | None = None  # for reports whose feed does not say
    verified: bool = True  # False: a listed URL nobody has yet seen answer with a feed


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
        sources += [
            Source(s.name, Kind.FEED, s.url, poll_seconds, s.language, s.verified)
            for s in load_sources()
        ]
    known = {s.url for s in sources}
    names = {s.name for s in sources}
    for url in dict.fromkeys(feeds):
        if url not in known:
            name = _unique(_feed_name(url), names)
            names.add(name)
            sources.append(Source(name, Kind.FEED, url, poll_seconds))
    if google_news_url:
        sources.append(Source("Google News", Kind.GOOGLE_NEWS, google_news_url, poll_seconds))
    if gdelt_url:
        sources.append(
            Source("GDELT", Kind.GDELT, gdelt_url, max(poll_seconds, GDELT_MIN_INTERVAL_SECONDS))
        )
    return sources
