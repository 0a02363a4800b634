"""GDELT DOC 2.0 API: one article-list query for all watched terms, its answers turned into
reports in the CPU worker (`watchers.feeds.gdelt`). Callers must leave
`GDELT_MIN_INTERVAL_SECONDS` between requests.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

import httpx

from watchers.cpu import on_cpu
from watchers.feeds import parse_gdelt
from watchers.fetch import fetch
from watchers.google_news import quote_term, unique_terms
from watchers.models import Collected, SourceState
from watchers.text import fold

__all__ = [
    "GDELT_MIN_INTERVAL_SECONDS",
    "GdeltSource",
    "build_gdelt_url",
    "build_query",
]

logger = logging.getLogger(__name__)

GDELT_MIN_INTERVAL_SECONDS = 5
"""GDELT throttles clients that ask more often than once every 5 seconds."""
GDELT_TERMS_PER_QUERY = 20  # GDELT refuses over-long queries
GDELT_MIN_TERM_LENGTH = 3  # and keywords it finds too short ("EU")
GDELT_MAX_SPAN = timedelta(days=1)

_MIN_TIMESPAN_MINUTES = 15  # GDELT publishes in 15-minute updates; shorter windows miss nothing
_MAX_RECORDS = 250


def build_query(terms: Iterable[str]) -> str:
    """OR the terms together; GDELT rejects parentheses around a single term.

    Terms equal after folding count once (the spelling that sorts first is kept), and the
    order is by folded form, so the same watchlist always gives the same query.
    """
    ordered = unique_terms(terms)
    if not ordered:
        raise ValueError("a GDELT query needs at least one term")
    quoted = [quote_term(term) for term in ordered]
    return quoted[0] if len(quoted) == 1 else f"({' OR '.join(quoted)})"


def build_gdelt_url(
    terms: Iterable[str],
    base_url: str,
    *,
    timespan_minutes: int,
    max_records: int = _MAX_RECORDS,
) -> str:
    """Build the article-list URL for `terms` over the last `timespan_minutes`, newest first."""
    params = {
        "query": build_query(terms),
        "mode": "artlist",
        "format": "json",
        "sort": "datedesc",
        "timespan": f"{max(timespan_minutes, _MIN_TIMESPAN_MINUTES)}min",
        "maxrecords": str(min(max(max_records, 1), _MAX_RECORDS)),
    }
    return f"{base_url}?{urlencode(params, quote_via=quote)}"


class Pacer:
    """Keeps requests to one service a minimum time apart, across polls: GDELT answers a second
    request within 5 seconds (from anywhere in this process) with a throttle notice."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last = -math.inf

    async def wait(self) -> None:
        delay = self._last + self._interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._last = time.monotonic()


@dataclass(frozen=True, slots=True)
class GdeltSource:
    """The GDELT DOC API, asked for every watched spelling over the time since its last success.

    The process has one GDELT source, and its pacer keeps all of its requests 5 s apart.
    """

    name: str
    url: str
    interval: float
    verified: bool = True
    pacer: Pacer = field(
        default_factory=lambda: Pacer(GDELT_MIN_INTERVAL_SECONDS), compare=False, repr=False
    )
    kind = "gdelt"
    searches = True

    async def collect(
        self,
        client: httpx.AsyncClient,
        state: SourceState,
        terms: Sequence[str],
        now: datetime,
    ) -> Collected:
        """Ask for the terms in batches, over a window reaching back past the last success."""
        since = state.last_success or now - timedelta(seconds=2 * self.interval)
        span = min(now - since, GDELT_MAX_SPAN) + timedelta(minutes=5)
        minutes = math.ceil(span.total_seconds() / 60)
        collected, errors, answered = Collected(), [], 0
        # Spellings that fold alike are one term before batching, not only within a batch: each
        # batch costs a request and a 5 s wait.
        usable = [t for t in unique_terms(terms) if len(fold(t)) >= GDELT_MIN_TERM_LENGTH]
        for start in range(0, len(usable), GDELT_TERMS_PER_QUERY):
            await self.pacer.wait()
            batch = usable[start : start + GDELT_TERMS_PER_QUERY]
            url = build_gdelt_url(batch, self.url, timespan_minutes=minutes)
            result = await fetch(client, url, SourceState())
            if result.error or result.body is None:
                errors.append(result.error or "empty response")
                collected.retry_after = result.retry_after
                continue
            parsed = await on_cpu(parse_gdelt, result.body, source=self.name)
            if parsed.throttled:  # the rest of this poll's batches would be refused too
                errors.append("throttled")
                collected.retry_after = 2 * GDELT_MIN_INTERVAL_SECONDS
                break
            if parsed.error:  # GDELT refused these terms: a problem of the query, not of GDELT
                logger.warning("GDELT refused the query for %s: %s", ", ".join(batch), parsed.error)
                continue
            answered += 1
            collected.reports += parsed.reports
        return collected.settle(self.name, errors, answered)
