"""`FeedSource`: an RSS/Atom feed polled with conditional GETs, parsed in the CPU worker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import httpx

from watchers.cpu import on_cpu
from watchers.feeds.parse import parse_feed
from watchers.fetch import fetch
from watchers.models import Collected, SourceState

__all__ = ["FeedSource"]


@dataclass(frozen=True, slots=True)
class FeedSource:
    """An RSS/Atom feed the operator listed: fetched conditionally, its `<ttl>` honoured."""

    name: str
    url: str
    interval: float = 300.0
    language: str | None = None  # for reports whose feed does not say
    verified: bool = True  # False: a listed URL nobody has yet seen answer with a feed
    regional: bool = False  # an outlet of the region: see `Report.regional`
    country: str | None = None  # the outlet's country (ISO 3166 alpha-2), shown with its reports
    kind = "feed"
    searches = False

    async def collect(
        self,
        client: httpx.AsyncClient,
        state: SourceState,
        terms: Sequence[str],
        now: datetime,
    ) -> Collected:
        """Fetch with the stored validators (a 304 means nothing new) and parse off the loop."""
        result = await fetch(client, self.url, state)
        if result.error:
            return Collected(error=result.error, retry_after=result.retry_after)
        if result.not_modified or result.body is None:
            return Collected(response=result)
        parsed = await on_cpu(parse_feed, result.body, source=self.name, feed_url=self.url)
        if not parsed.ok and not parsed.reports:
            return Collected(error=parsed.error or "not a feed")
        reports = [
            replace(
                r,
                language=r.language or self.language,
                country=r.country or self.country,
                regional=self.regional,
            )
            for r in parsed.reports
        ]
        return Collected(reports, ttl_minutes=parsed.ttl_minutes, response=result)
