"""The match index: which stored report matched which watch, for /latest.

Each watch has an id (`watches`, given out by `watch_ids` before a matcher is built, which
numbers its watches with them), so what the matcher finds in a report is one compact record of
watch ids, forms and contexts (`watchers.packed`), stored once per report with the report's
time (`report_hits`): one write per report, however many watches it matches (hundreds, for a
real report). /latest walks those records newest first, keeps what holds any of the chat's watch
ids, and stops when its page is full or after `INDEX_WINDOW` records (`indexed`). Text is never
matched again for a watch the records cover.

They cover a watch from the matcher that first held it: each report keeps the generation of
the matcher that last matched it (`reports.matched`), and `watches.since` the generation from
which each watch has been held without a break (NULL: not held now). A report matched before a
watch's generation (or never: an imported or upgraded store) is not covered for it: the poller
matches the newest of those again once per new matcher (`unmatched`, through `store.polls`),
and /latest matches the rest of its bounded window as text (`unindexed`). A report's record
goes with it when it is pruned (`bot.store.reports`). The tables are in `bot.store.schema`.

Every statement is standard SQL; nothing here imports the poll pipeline.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.store.codec import stored_report
from bot.store.database import Database, chunks, placeholders
from bot.store.records import StoredReport
from bot.store.schema import REPORT_COLUMNS, MetaSQL
from watchers.models import Hit, Matched, Packed, Report
from watchers.packed import present, unpack

__all__ = [
    "INDEX_WINDOW",
    "MatchSQL",
    "Matches",
    "indexed",
    "prune",
    "record",
    "unindexed",
    "unmatched",
    "watch_ids",
]

GENERATION = "match_generation"  # the meta key: the newest generation `watches.since` holds

INDEX_WINDOW = 5000
"""How many of the newest reports with hits /latest reads the records of, at most. It bounds a
request for a watch that rarely matches (or never) to a few milliseconds of reading small
records however large the store grows, and still holds the pages /latest shows (they end at the
thousandth match) for a watch that one report in five matches."""


class MatchSQL:
    """Every statement on the index; `{ids}` stands for a list of `?` placeholders."""

    add_watch = "INSERT INTO watches (raw) VALUES (?) ON CONFLICT DO NOTHING"
    ids_of = "SELECT raw, id FROM watches WHERE raw IN ({ids})"
    put_hits = (
        "INSERT INTO report_hits (report_id, sort_time, ids) "
        "SELECT id, sort_time, ? FROM reports WHERE id = ? AND (matched IS NULL OR matched <= ?) "
        "ON CONFLICT (report_id) DO UPDATE SET ids = excluded.ids"
    )
    put_forms = (
        "INSERT INTO report_forms (report_id, members, groups) "
        "SELECT id, ?, ? FROM reports WHERE id = ? AND (matched IS NULL OR matched <= ?) "
        "ON CONFLICT (report_id) DO UPDATE SET members = excluded.members, groups = excluded.groups"
    )
    stale = "SELECT id FROM reports WHERE id = ? AND (matched IS NULL OR matched <= ?)"
    drop_hits = f"DELETE FROM report_hits WHERE report_id IN ({stale})"
    drop_forms = f"DELETE FROM report_forms WHERE report_id IN ({stale})"
    set_matched = (
        "UPDATE reports SET matched = ? WHERE (matched IS NULL OR matched < ?) AND id IN ({ids})"
    )
    held_table = "CREATE TEMP TABLE IF NOT EXISTS held_ids (id INTEGER PRIMARY KEY)"
    hold = "INSERT INTO held_ids (id) VALUES (?) ON CONFLICT DO NOTHING"
    uncover = (
        "UPDATE watches SET since = NULL "
        "WHERE since IS NOT NULL AND id NOT IN (SELECT id FROM held_ids)"
    )
    cover = "UPDATE watches SET since = ? WHERE since IS NULL AND id IN (SELECT id FROM held_ids)"
    unhold = "DELETE FROM held_ids"
    covered_of = "SELECT raw, since FROM watches WHERE since IS NOT NULL AND raw IN ({ids})"
    newest_cover = "SELECT max(since) FROM watches"
    window = "SELECT id, matched FROM reports ORDER BY sort_time DESC LIMIT ?"
    newest_hits = (
        "SELECT report_id, ids FROM report_hits ORDER BY sort_time DESC, report_id DESC LIMIT ?"
    )
    forms_of = "SELECT report_id, members, groups FROM report_forms WHERE report_id IN ({ids})"
    reports = f"SELECT {REPORT_COLUMNS} FROM reports WHERE id IN ({{ids}})"
    old = "SELECT id FROM reports WHERE last_seen < ?"
    prune_hits = f"DELETE FROM report_hits WHERE report_id IN ({old})"
    prune_forms = f"DELETE FROM report_forms WHERE report_id IN ({old})"


def watch_ids(connection: sqlite3.Connection, watches: Sequence[str]) -> list[int]:
    """The id of each of these distinct raw watches, given out now to those that have none."""
    connection.executemany(MatchSQL.add_watch, ((w,) for w in watches))
    ids: dict[str, int] = {}
    for chunk in chunks(watches):
        sql = MatchSQL.ids_of.format(ids=placeholders(len(chunk)))
        ids.update(connection.execute(sql, tuple(chunk)))
    return [ids[w] for w in watches]


def record(connection: sqlite3.Connection, matched: Matched) -> None:
    """Store what a matcher found in reports (only those stored: another poll may have stored
    the same report first), one record each, in place of what an older matcher found; mark them
    matched by it, and, for a matcher newer than any before, which watches the index now
    covers. A report an even newer matcher has matched keeps what that one found. Runs inside
    the caller's transaction."""
    generation = matched.generation
    put: list[tuple[str, Packed]] = []
    drop: list[tuple[str, int]] = []
    for report in matched.reports:
        packed = matched.hits.get(report.id)
        if packed:
            put.append((report.id, packed))
        else:
            drop.append((report.id, generation))
    connection.executemany(MatchSQL.put_hits, ((p.ids, id_, generation) for id_, p in put))
    connection.executemany(
        MatchSQL.put_forms, ((p.members, p.groups, id_, generation) for id_, p in put)
    )
    connection.executemany(MatchSQL.drop_hits, drop)
    connection.executemany(MatchSQL.drop_forms, drop)
    ids = [report.id for report in matched.reports]
    for chunk in chunks(ids):
        sql = MatchSQL.set_matched.format(ids=placeholders(len(chunk)))
        connection.execute(sql, (generation, generation, *chunk))
    _cover(connection, generation, matched.watches)


def _cover(connection: sqlite3.Connection, generation: int, watches: Sequence[int]) -> None:
    """`watches.since` after a matcher of this generation (holding the watches of these ids):
    a watch it holds keeps the generation it was first held from, a new one starts here, one
    it lacks is covered no more."""
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
    """Delete the records of reports last seen before `cutoff`, which are about to go."""
    connection.execute(MatchSQL.prune_hits, (cutoff,))
    connection.execute(MatchSQL.prune_forms, (cutoff,))


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


def _names(connection: sqlite3.Connection, watches: Sequence[str]) -> dict[int, str]:
    """The ids the index has for these raw watches, each with its raw watch."""
    names: dict[int, str] = {}
    for chunk in chunks(list(dict.fromkeys(watches))):
        sql = MatchSQL.ids_of.format(ids=placeholders(len(chunk)))
        names.update((id_, raw) for raw, id_ in connection.execute(sql, tuple(chunk)))
    return names


def indexed(
    connection: sqlite3.Connection, watches: Sequence[str], limit: int, window: int = INDEX_WINDOW
) -> tuple[list[tuple[StoredReport, list[Hit]]], bool]:
    """The `limit` newest reports with hits for any of `watches`, newest first, among the
    `window` newest reports with hits, each with its hits among them, and whether there are
    more. Only the records' watch ids are read while walking (a binary search per watch); the
    forms only of the reports kept."""
    names = _names(connection, watches)
    if not names:
        return [], False
    wanted = sorted(names)
    found: dict[str, tuple[bytes, list[int]]] = {}
    more = False
    for report_id, ids in connection.execute(MatchSQL.newest_hits, (window,)):
        held = present(ids, wanted)
        if not held:
            continue
        if len(found) == limit:
            more = True
            break
        found[report_id] = ids, held
    forms: dict[str, tuple[bytes, str]] = {}
    for chunk in chunks(list(found)):
        sql = MatchSQL.forms_of.format(ids=placeholders(len(chunk)))
        forms.update(
            (id_, (members, groups))
            for id_, members, groups in connection.execute(sql, tuple(chunk))
        )
    stored = _stored(connection, list(found))
    return [
        (stored[id_], unpack(Packed(ids, *forms[id_]), names, set(held)))
        for id_, (ids, held) in found.items()
        if id_ in stored and id_ in forms
    ], more


class Matches:
    """The match index as /latest reads it (`Polls` gives out watch ids and writes it with each
    poll's outcome)."""

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
