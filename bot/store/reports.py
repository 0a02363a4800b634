"""The `reports` table: which reports are new, storing them, the newest, and retention (with the
outbox entries and match rows of the reports it forgets).

A report is known by its id or by its story (same outlet, same headline: `Report.story`), so
the same story under a new URL is not new. `last_seen` is refreshed at most once a day per report:
it only decides retention, and a write per report per poll would cost more than it tells.
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
from bot.store.schema import REPORT_COLUMNS
from watchers.models import Report

__all__ = ["LAST_SEEN_GRANULARITY", "ReportSQL", "Reports", "insert", "refresh", "unseen"]

LAST_SEEN_GRANULARITY = timedelta(days=1)


class ReportSQL:
    """Every statement on `reports`; `{ids}` stands for a list of `?` placeholders."""

    known_ids = "SELECT id FROM reports WHERE id IN ({ids})"
    known_stories = "SELECT story FROM reports WHERE story IN ({ids})"
    refresh = "UPDATE reports SET last_seen = ? WHERE last_seen < ? AND id IN ({ids})"
    insert = (
        f"INSERT INTO reports ({REPORT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
    )
    newest = f"SELECT {REPORT_COLUMNS} FROM reports ORDER BY sort_time DESC LIMIT ?"
    prune = "DELETE FROM reports WHERE last_seen < ?"


def unseen(connection: sqlite3.Connection, reports: Sequence[Report]) -> list[Report]:
    """The reports whose id and story are both unknown, each once, in the given order."""
    if not reports:
        return []
    ids = list(dict.fromkeys(r.id for r in reports))
    stories = list({r.story for r in reports if r.story})
    known = set(column(connection, ReportSQL.known_ids, ids))
    known_stories = set(column(connection, ReportSQL.known_stories, stories))
    fresh: list[Report] = []
    for report in reports:
        story = report.story
        if report.id in known or (story and story in known_stories):
            continue
        fresh.append(report)
        known.add(report.id)
        if story:
            known_stories.add(story)
    return fresh


def refresh(connection: sqlite3.Connection, seen: Sequence[Report], at: datetime) -> None:
    """Move `last_seen` to `at` for the reports a source still shows (once a day at most)."""
    now, stale = iso(at), iso(at - LAST_SEEN_GRANULARITY)
    for chunk in chunks(list(dict.fromkeys(r.id for r in seen))):
        sql = ReportSQL.refresh.format(ids=placeholders(len(chunk)))
        connection.execute(sql, (now, stale, *chunk))


def insert(connection: sqlite3.Connection, new: Sequence[Report], at: datetime) -> list[Report]:
    """Store the reports, first seen `at`; returns those inserted now (another poll may have
    stored the same id or story first)."""
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

    async def prune(self, seen_before: datetime) -> int:
        """Forget reports no source has shown since the cut-off, with their outbox entries and
        their matches, so the database stays bounded; how many reports."""

        def run(connection: sqlite3.Connection) -> int:
            cutoff = iso(seen_before)
            forget_reports(connection, cutoff)
            forget_matches(connection, cutoff)
            return connection.execute(ReportSQL.prune, (cutoff,)).rowcount

        return await self._db.write(run)
