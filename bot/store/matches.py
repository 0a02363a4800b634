"""The match index: which stored report matched which watch, for /latest.

When a poll stores its new reports it stores what the matcher found in them: one row per
(watch, report), with the form found and the `regional` context, ordered by the report's time,
so "the newest reports matching any of these watches" is one index walk per watch
(`indexed`), however large the store. Text is never matched again for a watch the rows cover.

They cover a watch from the matcher that first held it: each report keeps the generation of
the matcher that last matched it (`reports.matched`), and `matched_watches` the generation from
which each watch has been held without a break. A report matched before a watch's generation
(or never: an imported or upgraded store) is not covered for it: the poller matches the newest
of those again once per new matcher (`unmatched`, through `store.polls`), and /latest matches
the rest of its bounded window as text (`unindexed`). Rows go with their reports when those are
pruned (`bot.store.reports`). The tables are in `bot.store.schema`.

Every statement is standard SQL; nothing here imports the poll pipeline.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.store.codec import stored_report
from bot.store.database import Database, chunks, placeholders
from bot.store.records import StoredReport
from bot.store.schema import REPORT_COLUMNS, MetaSQL
from watchers.models import Hit, Matched, Report

__all__ = ["MatchSQL", "Matches", "indexed", "prune", "record", "unindexed", "unmatched"]

GENERATION = "match_generation"  # the meta key: the newest generation `matched_watches` holds


class MatchSQL:
    """Every statement on the index; `{ids}` stands for a list of `?` placeholders."""

    add_row = (
        "INSERT INTO matches (watch, sort_time, report_id, form, context) "
        "SELECT ?, sort_time, id, ?, ? FROM reports WHERE id = ? ON CONFLICT DO NOTHING"
    )
    set_matched = (
        "UPDATE reports SET matched = ? WHERE (matched IS NULL OR matched < ?) AND id IN ({ids})"
    )
    held_table = "CREATE TEMP TABLE IF NOT EXISTS held (watch TEXT PRIMARY KEY) WITHOUT ROWID"
    hold = "INSERT INTO held (watch) VALUES (?) ON CONFLICT DO NOTHING"
    uncover = "DELETE FROM matched_watches WHERE watch NOT IN (SELECT watch FROM held)"
    cover = (
        "INSERT INTO matched_watches (watch, since) SELECT watch, ? FROM held WHERE true "
        "ON CONFLICT DO NOTHING"
    )
    unhold = "DELETE FROM held"
    covered_of = "SELECT watch, since FROM matched_watches WHERE watch IN ({ids})"
    newest_cover = "SELECT max(since) FROM matched_watches"
    window = "SELECT id, matched FROM reports ORDER BY sort_time DESC LIMIT ?"
    of_watch = (
        "SELECT sort_time, report_id, watch, form, context FROM matches WHERE watch = ? "
        "ORDER BY sort_time DESC, report_id DESC"
    )
    reports = f"SELECT {REPORT_COLUMNS} FROM reports WHERE id IN ({{ids}})"
    prune = "DELETE FROM matches WHERE report_id IN (SELECT id FROM reports WHERE last_seen < ?)"


def record(connection: sqlite3.Connection, matched: Matched) -> None:
    """Store what a matcher found in reports (only those stored: another poll may have stored
    the same story first), mark them matched by it, and, for a matcher newer than any before,
    which watches the index now covers. Runs inside the caller's transaction."""
    rows = [
        (watch, hit.form, hit.context, report_id)
        for report_id, hits in matched.hits.items()
        for hit in hits
        for watch in hit.watches
    ]
    connection.executemany(MatchSQL.add_row, rows)
    ids = [report.id for report in matched.reports]
    for chunk in chunks(ids):
        sql = MatchSQL.set_matched.format(ids=placeholders(len(chunk)))
        connection.execute(sql, (matched.generation, matched.generation, *chunk))
    _cover(connection, matched.generation, matched.watches)


def _cover(connection: sqlite3.Connection, generation: int, watches: Sequence[str]) -> None:
    """`matched_watches` after a matcher of this generation: a watch it holds keeps the
    generation it was first held from, a new one starts here, one it lacks is covered no more."""
    row = connection.execute(MetaSQL.get, (GENERATION,)).fetchone()
    if row is not None and int(row[0]) >= generation:
        return
    # The difference is taken in SQL: 50,000 watches never become Python sets here.
    connection.execute(MatchSQL.held_table)
    connection.executemany(MatchSQL.hold, ((w,) for w in watches))
    connection.execute(MatchSQL.uncover)
    connection.execute(MatchSQL.cover, (generation,))
    connection.execute(MatchSQL.unhold)
    connection.execute(MetaSQL.set, (GENERATION, str(generation)))


def prune(connection: sqlite3.Connection, cutoff: str) -> None:
    """Delete the rows of reports last seen before `cutoff`, which are about to go."""
    connection.execute(MatchSQL.prune, (cutoff,))


def _stored(connection: sqlite3.Connection, ids: Sequence[str]) -> dict[str, StoredReport]:
    found: dict[str, StoredReport] = {}
    for chunk in chunks(ids):
        sql = MatchSQL.reports.format(ids=placeholders(len(chunk)))
        for row in connection.execute(sql, tuple(chunk)):
            found[row[0]] = stored_report(row)
    return found


def unmatched(connection: sqlite3.Connection, window: int, count: int) -> list[Report]:
    """Among the `window` newest reports, the first `count` of those matched before the newest
    watch was covered, or never: what a new matcher matches again (a batch at a time, so that
    the bot never holds the text of the whole window)."""
    (newest,) = connection.execute(MatchSQL.newest_cover).fetchone()
    if newest is None:
        return []
    rows = connection.execute(MatchSQL.window, (window,)).fetchall()
    stale = [id_ for id_, matched in rows if matched is None or matched < newest][:count]
    found = _stored(connection, stale)
    return [found[id_].report for id_ in stale if id_ in found]


def unindexed(
    connection: sqlite3.Connection, watches: Sequence[str], limit: int
) -> list[tuple[StoredReport, frozenset[str]]]:
    """Among the `limit` newest reports, newest first, each that the index does not cover for
    all of `watches`, with those it does not cover it for."""
    since: dict[str, int] = {}
    for chunk in chunks(list(dict.fromkeys(watches))):
        sql = MatchSQL.covered_of.format(ids=placeholders(len(chunk)))
        since.update(connection.execute(sql, tuple(chunk)))
    uncovered: dict[str, frozenset[str]] = {}
    for id_, matched in connection.execute(MatchSQL.window, (limit,)):
        missing = frozenset(
            w for w in watches if w not in since or matched is None or matched < since[w]
        )
        if missing:
            uncovered[id_] = missing
    found = _stored(connection, list(uncovered))
    return [(found[id_], missing) for id_, missing in uncovered.items() if id_ in found]


def indexed(
    connection: sqlite3.Connection, watches: Sequence[str], limit: int
) -> tuple[list[tuple[StoredReport, list[Hit]]], bool]:
    """The `limit` newest reports with rows for any of `watches`, newest first, each with its
    hits among them (one per watch), and whether there are more. Each watch's rows are read
    newest first from the index, and merged; reading stops at the report after the last."""
    cursors: list[Any] = [
        connection.execute(MatchSQL.of_watch, (watch,)) for watch in dict.fromkeys(watches)
    ]
    hits: dict[str, list[Hit]] = {}
    more = False
    for _, report_id, watch, form, context in heapq.merge(*cursors, reverse=True):
        if report_id not in hits:
            if len(hits) == limit:
                more = True
                break
            hits[report_id] = []
        hits[report_id].append(Hit((watch,), form, context))
    for cursor in cursors:
        cursor.close()
    found = _stored(connection, list(hits))
    return [(found[id_], h) for id_, h in hits.items() if id_ in found], more


class Matches:
    """The match index as /latest reads it (`Polls` writes it with each poll's outcome)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def indexed(
        self, watches: Sequence[str], limit: int
    ) -> tuple[list[tuple[StoredReport, list[Hit]]], bool]:
        """The `limit` newest reports the index has for any of `watches`, with their hits, and
        whether it has more (`indexed`)."""
        return await self._db.read(lambda connection: indexed(connection, watches, limit))

    async def unindexed(
        self, watches: Sequence[str], limit: int
    ) -> list[tuple[StoredReport, frozenset[str]]]:
        """Among the `limit` newest reports, those the index does not cover for all of
        `watches`, with the watches it misses (`unindexed`)."""
        return await self._db.read(lambda connection: unindexed(connection, watches, limit))
