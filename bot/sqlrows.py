"""Rows of the SQLite store as plain values: times as fixed-width ISO-8601 UTC text, a report
as its `reports` columns and back, and `?` lists for IN clauses chunked under every engine's
parameter limit. Shared by the store (`bot.sqlstore`) and its outbox queries (`bot.outbox`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from watchers.models import Report

__all__ = [
    "IN_CHUNK",
    "REPORT_COLUMNS",
    "StoredReport",
    "chunks",
    "iso",
    "parse_iso",
    "placeholders",
    "report_row",
    "stored_report",
]

T = TypeVar("T")

STORED_TEXT_CHARS = 2000
"""Stored report text serves /latest matching only (alerts are summarised when first seen)."""
IN_CHUNK = 500  # ids per IN (...) list, well under every engine's parameter limit

REPORT_COLUMNS = (
    "id, story, url, canonical_url, title, body, published, outlet, domain, language, country, "
    "source, first_seen, last_seen, sort_time, regional"
)


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


def chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices of at most IN_CHUNK, one IN list each."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def iso(moment: datetime) -> str:
    """A moment as fixed-width ISO-8601 UTC text (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(value: str | None) -> datetime | None:
    """The reverse of `iso`; also reads the older stores' ISO text (naive means UTC)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report as stored, with the moment the bot first saw it."""

    report: Report
    first_seen: datetime

    @property
    def when(self) -> datetime:
        """The time to sort and show by: publication when the source gave one."""
        return self.report.published or self.first_seen


def report_row(report: Report, first_seen: datetime, last_seen: datetime) -> tuple[Any, ...]:
    """The reports table's columns for one report, in REPORT_COLUMNS order."""
    return (
        report.id,
        report.story or None,
        report.url,
        report.canonical_url,
        report.title,
        report.text[:STORED_TEXT_CHARS],
        iso(report.published) if report.published else None,
        report.outlet,
        report.domain,
        report.language,
        report.country,
        report.source,
        iso(first_seen),
        iso(last_seen),
        iso(report.published or first_seen),
        int(report.regional),
    )


def stored_report(row: Sequence[Any]) -> StoredReport:
    """The reverse of `report_row`: REPORT_COLUMNS as read back."""
    (id_, story, url, canonical, title, body, published, outlet, domain) = row[:9]
    language, country, source, first_seen, _, _, regional = row[9:16]
    report = Report(
        id=id_,
        url=url,
        canonical_url=canonical,
        title=title,
        text=body,
        published=parse_iso(published),
        outlet=outlet,
        domain=domain,
        language=language,
        country=country,
        source=source,
        regional=bool(regional),
        story=story or "",
    )
    return StoredReport(report, parse_iso(first_seen) or datetime.now(UTC))
