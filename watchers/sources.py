"""What a source is: the one interface every kind of source implements, and all the poller knows.

Each kind lives beside its parser and owns its fetching policy: `watchers.feeds.FeedSource`
(conditional GETs of an RSS/Atom feed), `watchers.google_news.GoogleNewsSource` and
`watchers.gdelt.GdeltSource` (searches for the watched spellings, GDELT paced to its limit).
The poller only calls `collect`; which sources exist is `watchers.registry`'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import httpx

from watchers.models import Collected, SourceState

__all__ = ["Source"]


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
