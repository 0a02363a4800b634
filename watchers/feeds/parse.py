"""`parse_feed`: one fetched document in, bounded plain reports out, and never an exception.

Parsing tries fastfeedparser first (`watchers.feeds.fast`). feedparser (`watchers.feeds.full`)
is the fallback when fastfeedparser raises, finds no entries, or returns titles that still carry
CDATA markers; the result that yields more reports wins. Both see the document with HTML named
entities made numeric, and both results get the raw-text scan's extras
(`watchers.feeds.scan`). A document that yields nothing comes back with `ok=False` and a
one-line error, so one broken source cannot stop the bot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from watchers.feeds.entries import Parsed
from watchers.feeds.fast import from_fastfeedparser, looks_garbled
from watchers.feeds.fields import MAX_OUTLET_LENGTH, first_line, one_line
from watchers.feeds.full import from_feedparser
from watchers.feeds.reports import to_reports
from watchers.feeds.scan import numeric_entities, scan_document
from watchers.identity import domain_of
from watchers.models import Report

__all__ = ["FeedResult", "parse_feed"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class FeedResult:
    """What one fetched feed yielded; `ok=False` means nothing usable came out of it."""

    reports: list[Report]
    title: str = ""
    ttl_minutes: int | None = None
    ok: bool = True
    error: str | None = None


def _parse(body: bytes, *, source: str, feed_url: str, domain_from_source: bool) -> FeedResult:
    scan = scan_document(body)
    body = numeric_entities(body)

    def reports_of(parsed: Parsed) -> list[Report]:
        return to_reports(
            parsed,
            scan,
            source=source,
            feed_url=feed_url,
            domain_from_source=domain_from_source,
        )

    fast: Parsed | None = None
    fast_error: str | None = None
    try:
        fast = from_fastfeedparser(body)
    except Exception as exc:  # noqa: BLE001 - any fastfeedparser failure means "try feedparser"
        fast_error = first_line(str(exc)) or type(exc).__name__
    if fast is not None and fast.entries and not looks_garbled(fast):
        return FeedResult(reports_of(fast), one_line(fast.title, MAX_OUTLET_LENGTH), scan.ttl)

    slow, complaint = from_feedparser(body)
    slow_reports = reports_of(slow)
    fast_reports = reports_of(fast) if fast is not None else []
    chosen, reports = slow, slow_reports
    if fast is not None and len(fast_reports) > len(slow_reports):
        chosen, reports = fast, fast_reports
    title = one_line(chosen.title, MAX_OUTLET_LENGTH) or one_line(slow.title, MAX_OUTLET_LENGTH)
    ttl = scan.ttl or slow.ttl
    if reports or (fast is not None and complaint is None):
        return FeedResult(reports, title, ttl)
    error = complaint or fast_error or "no feed found"
    return FeedResult([], title, ttl, ok=False, error=f"malformed feed: {error}")


def parse_feed(
    body: bytes, *, source: str, feed_url: str, domain_from_source: bool = False
) -> FeedResult:
    """Turn a fetched RSS/RDF/Atom document into reports; never raises.

    `domain_from_source` takes each report's domain from the item's `<source url=...>`
    instead of its link, for aggregators (Google News) whose links all point at themselves.
    It runs in the CPU worker (`watchers.cpu`), which alone imports the two parsers: the bot's
    process need not hold them.
    """
    if not body or not body.strip():
        return FeedResult([], ok=False, error="empty response")
    try:
        return _parse(body, source=source, feed_url=feed_url, domain_from_source=domain_from_source)
    except Exception as exc:  # noqa: BLE001 - a broken feed must never stop the poller
        logger.warning("feed %s from %s could not be parsed", source, domain_of(feed_url))
        return FeedResult([], ok=False, error=f"parse error: {type(exc).__name__}")
