"""The `reports` table: which reports are new, storing them, the newest, and retention (with the
outbox entries and match rows of the reports it forgets).

A report is known by its id or by its headline key (same outlet, same headline:
`Report.headline_key`), so the same report under a new URL is not new. `last_seen` is refreshed
at most once a day per report: it only decides retention, and a write per report per poll would
cost more than it tells.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.store.codec import iso, report_row, stored_report
from bot.store.database import Database, chunks, column, placeholders
from bot.store.matches import prune as forget_matches
from bot.store.outbox import forget_reports
from bot.store.records import StoredReport
from bot.store.schema import OUTLET, REPORT_COLUMNS
from watchers.models import Report

__all__ = ["LAST_SEEN_GRANULARITY", "ReportSQL", "Reports", "insert", "refresh", "unseen"]

LAST_SEEN_GRANULARITY = timedelta(days=1)


class ReportSQL:
    """Every statement on `reports`; `{ids}` stands for a list of `?` placeholders."""

    known_ids = "SELECT id FROM reports WHERE id IN ({ids})"
    known_headlines = "SELECT headline_key FROM reports WHERE headline_key IN ({ids})"
    refresh = "UPDATE reports SET last_seen = ? WHERE last_seen < ? AND id IN ({ids})"
    insert = (
        f"INSERT INTO reports ({REPORT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
    )
    newest = f"SELECT {REPORT_COLUMNS} FROM reports ORDER BY sort_time DESC LIMIT ?"
    prune = "DELETE FROM reports WHERE last_seen < ?"
    # the reports of open stories, oldest first, from a cursor
    grouped_from = (
        f"SELECT {REPORT_COLUMNS} FROM reports WHERE story IS NOT NULL AND sort_time >= ? "
        "ORDER BY sort_time, id LIMIT ?"
    )
    grouped_after = (
        f"SELECT {REPORT_COLUMNS} FROM reports WHERE story IS NOT NULL "
        "AND (sort_time, id) > (?, ?) ORDER BY sort_time, id LIMIT ?"
    )
    # where the `most` newest grouped reports begin
    grouped_start = (
        "SELECT sort_time FROM reports WHERE story IS NOT NULL "
        "ORDER BY sort_time DESC LIMIT 1 OFFSET ?"
    )
    outlets = (
        f"SELECT story, COUNT(DISTINCT {OUTLET}) FROM reports "
        "WHERE story IN ({ids}) GROUP BY story"
    )


def unseen(connection: sqlite3.Connection, reports: Sequence[Report]) -> list[Report]:
    """The reports whose id and headline key are both unknown, each once, in the given order."""
    if not reports:
        return []
    ids = list(dict.fromkeys(r.id for r in reports))
    headlines = list({r.headline_key for r in reports if r.headline_key})
    known = set(column(connection, ReportSQL.known_ids, ids))
    known_headlines = set(column(connection, ReportSQL.known_headlines, headlines))
    fresh: list[Report] = []
    for report in reports:
        headline = report.headline_key
        if report.id in known or (headline and headline in known_headlines):
            continue
        fresh.append(report)
        known.add(report.id)
        if headline:
            known_headlines.add(headline)
    return fresh


Cursor = tuple[str, str]
"""(sort time, id) of the last report of a page."""


def grouped(
    connection: sqlite3.Connection, since: datetime, most: int, cursor: Cursor | None, count: int
) -> tuple[list[StoredReport], Cursor | None]:
    """A page of the reports grouped into stories since `since` (of the `most` newest), oldest
    first, from `cursor`; and the cursor of the next page, None after the last."""
    if cursor is None:
        start = iso(since)
        row = connection.execute(ReportSQL.grouped_start, (most - 1,)).fetchone()
        if row is not None:
            start = max(start, row[0])
        rows = connection.execute(ReportSQL.grouped_from, (start, count)).fetchall()
    else:
        rows = connection.execute(ReportSQL.grouped_after, (*cursor, count)).fetchall()
    page = [stored_report(row) for row in rows]
    if len(rows) < count:
        return page, None
    return page, (rows[-1][14], rows[-1][0])  # sort_time, id: see REPORT_COLUMNS


def refresh(connection: sqlite3.Connection, seen: Sequence[Report], at: datetime) -> None:
    """Move `last_seen` to `at` for the reports a source still shows (once a day at most)."""
    now, stale = iso(at), iso(at - LAST_SEEN_GRANULARITY)
    for chunk in chunks(list(dict.fromkeys(r.id for r in seen))):
        sql = ReportSQL.refresh.format(ids=placeholders(len(chunk)))
        connection.execute(sql, (now, stale, *chunk))


def insert(connection: sqlite3.Connection, new: Sequence[Report], at: datetime) -> list[Report]:
    """Store the reports, first seen `at`; returns those inserted now (another poll may have
    stored the same id or headline first)."""
    inserted: list[Report] = []
    for report in new:
        if connection.execute(ReportSQL.insert, report_row(report, at, at)).rowcount == 1:
            inserted.append(report)
    return inserted


class Reports:
    """The reports table, for callers outside the poll (`Polls` stores a poll's reports)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, reports: Sequence[Report], seen_at: datetime) -> list[Report]:
        """Store the reports never seen before and return just those (no source state)."""
        fresh = await self._db.read(lambda connection: unseen(connection, reports))

        def run(connection: sqlite3.Connection) -> list[Report]:
            refresh(connection, reports, seen_at)
            return insert(connection, fresh, seen_at)

        return await self._db.write(run)

    async def recent(self, limit: int) -> list[StoredReport]:
        """The `limit` newest reports by publication (else first-seen) time, newest first."""

        def newest(connection: sqlite3.Connection) -> list[StoredReport]:
            return [stored_report(row) for row in connection.execute(ReportSQL.newest, (limit,))]

        return await self._db.read(newest)

    async def outlets(self, stories: Sequence[str]) -> dict[str, int]:
        """How many outlets carried each of these stories (by the stored reports)."""
        wanted = list(dict.fromkeys(s for s in stories if s))

        def count(connection: sqlite3.Connection) -> dict[str, int]:
            counts: dict[str, int] = {}
            for chunk in chunks(wanted):
                sql = ReportSQL.outlets.format(ids=placeholders(len(chunk)))
                counts.update(connection.execute(sql, chunk).fetchall())
            return counts

        return await self._db.read(count)

    async def prune(self, seen_before: datetime) -> int:
        """Forget reports no source has shown since the cut-off, with their outbox entries and
        their matches, so the database stays bounded; how many reports."""

        def run(connection: sqlite3.Connection) -> int:
            cutoff = iso(seen_before)
            forget_reports(connection, cutoff)
            forget_matches(connection, cutoff)
            return connection.execute(ReportSQL.prune, (cutoff,)).rowcount

        return await self._db.write(run)
