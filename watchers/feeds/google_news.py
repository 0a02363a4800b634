"""Google News search feeds: RSS whose item titles end in " - Publisher" and whose outlet is
the publisher named in `<source>`, not Google (see `watchers.google_news` for the source)."""

from __future__ import annotations

import dataclasses

from watchers.feeds.parse import FeedResult, parse_feed
from watchers.models import Report
from watchers.text import fold

__all__ = ["parse_google_news", "split_publisher"]

_SEPARATORS = (" - ", " – ", " — ", " | ")


def split_publisher(title: str, publisher: str) -> str:
    """Strip a trailing " - Publisher" from `title` when it names `publisher`."""
    if not publisher:
        return title
    folded_publisher = fold(publisher).strip()
    for separator in _SEPARATORS:
        head, found, tail = title.rpartition(separator)
        if found and head.strip() and fold(tail).strip() == folded_publisher:
            return head.strip()
    return title


def parse_google_news(body: bytes, *, source: str, feed_url: str) -> FeedResult:
    """Parse a Google News search feed; outlet and domain name the publisher, not Google."""
    result = parse_feed(body, source=source, feed_url=feed_url, domain_from_source=True)
    result.reports = [_with_publisher(report, result.title) for report in result.reports]
    return result


def _with_publisher(report: Report, feed_title: str) -> Report:
    """Split the publisher off the title; without `<source>`, trust the title's last part.
    (`headline_key=None`: the headline key is made again, of the title without the publisher.)"""
    if report.outlet and report.outlet != feed_title:
        title = split_publisher(report.title, report.outlet)
        return dataclasses.replace(report, title=title, headline_key=None)
    head, found, tail = report.title.rpartition(" - ")
    if not found or not head.strip() or not tail.strip():
        return report
    return dataclasses.replace(report, title=head.strip(), outlet=tail.strip(), headline_key=None)
