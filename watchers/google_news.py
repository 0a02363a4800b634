"""Google News search RSS: one query URL per batch of watched terms, items split by publisher.

Google News answers `.../rss/search?q=a OR "b c"` with an RSS 2.0 feed whose item titles read
"Headline - Publisher", whose links are `news.google.com/rss/articles/CBMi...` redirects (the
publisher's URL is not recoverable from them), and whose `<source url="...">Publisher</source>`
names the outlet. `watchers.feeds.parse_google_news` parses it in the CPU worker: the feed
parser, the domain from the `<source url>`, and the " - Publisher" suffix stripped from titles
(an item without `<source>` takes its publisher from that suffix).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode

import httpx

from watchers.cpu import on_cpu
from watchers.feeds import parse_google_news
from watchers.fetch import fetch
from watchers.models import Collected, SourceState
from watchers.text import fold

__all__ = [
    "GoogleNewsSource",
    "build_search_urls",
    "quote_term",
    "unique_terms",
]

logger = logging.getLogger(__name__)


def quote_term(term: str) -> str:
    """Quote terms with a space or hyphen so the search matches them as one phrase.

    Google News and GDELT read a quoted phrase alike, so both query builders use this.
    """
    return f'"{term}"' if " " in term or "-" in term else term


def unique_terms(terms: Iterable[str]) -> list[str]:
    """Clean search terms and drop blanks and case/accent duplicates, in a fixed order.

    Double quotes are removed (the query quotes phrases itself) and whitespace collapsed.
    Of spellings that fold alike ("Laçın", "LAÇIN") the one that sorts first is kept, and
    terms are ordered by folded form, so the result does not depend on the input order.
    """
    chosen: dict[str, str] = {}
    for term in terms:
        cleaned = " ".join(term.replace('"', " ").split())
        if cleaned:
            key = fold(cleaned)
            chosen[key] = min(chosen.get(key, cleaned), cleaned)
    return [chosen[key] for key in sorted(chosen)]


def _search_url(base_url: str, query: str, params: dict[str, str]) -> str:
    return f"{base_url}?{urlencode({'q': query, **params}, quote_via=quote)}"


def build_search_urls(
    terms: Iterable[str],
    base_url: str,
    *,
    max_url_length: int = 1800,
    hl: str = "en-US",
    gl: str = "US",
    ceid: str = "US:en",
) -> list[str]:
    """Build as few search URLs as possible, each OR-ing terms and under `max_url_length`.

    Terms are deduplicated by folded form ("Laçın" and "LACIN" are one term), sorted by it so
    the same watchlist always gives the same URLs (and so the same ETags), and packed
    greedily. A term too long to fit in any URL on its own is dropped with a warning.
    """
    params = {"hl": hl, "gl": gl, "ceid": ceid}
    urls: list[str] = []
    batch: list[str] = []
    for term in unique_terms(terms):
        quoted = quote_term(term)
        candidate = [*batch, quoted]
        if len(_search_url(base_url, " OR ".join(candidate), params)) <= max_url_length:
            batch = candidate
            continue
        if len(_search_url(base_url, quoted, params)) > max_url_length:
            logger.warning("search term of %d characters does not fit in a URL", len(term))
            continue
        urls.append(_search_url(base_url, " OR ".join(batch), params))
        batch = [quoted]
    if batch:
        urls.append(_search_url(base_url, " OR ".join(batch), params))
    return urls


@dataclass(frozen=True, slots=True)
class GoogleNewsSource:
    """Google News search: every watched spelling, OR-ed into as few search feeds as fit."""

    name: str
    url: str
    interval: float
    verified: bool = True
    kind = "google_news"
    searches = True

    async def collect(
        self,
        client: httpx.AsyncClient,
        state: SourceState,
        terms: Sequence[str],
        now: datetime,
    ) -> Collected:
        """Every batch of terms is its own search; one failing batch does not lose the others.

        Each search is a fresh GET: its URL changes with the watchlist, so validators of one
        batch never fit the next."""
        collected, errors, answered = Collected(), [], 0
        for url in build_search_urls(terms, self.url):
            result = await fetch(client, url, SourceState())
            if result.error or result.body is None:
                errors.append(result.error or "empty response")
                continue
            parsed = await on_cpu(parse_google_news, result.body, source=self.name, feed_url=url)
            if not parsed.ok and not parsed.reports:
                errors.append(parsed.error or "not a feed")
                continue
            answered += 1
            collected.reports += parsed.reports
        return collected.settle(self.name, errors, answered)
