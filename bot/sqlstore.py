"""What churns, in SQLite: seen reports, source state and the alert outbox.

One writer connection lives in its own thread and runs every write, so one poll's outcome is one
transaction and writes never interleave; readers use their own read-only connections in other
threads, and in WAL mode they never wait for the writer. The queries are standard SQL (every
statement is in `SQL` below or in `bot.outbox.OutboxSQL`, with `?` placeholders) so a PostgreSQL
implementation can follow; timestamps are ISO-8601 UTC text of fixed width (`bot.sqlrows`), so
text order is time order.

WAL with synchronous=FULL: a commit is fsynced before it returns. Writes are a few per minute (one
per poll, one per delivery batch), so the fsync costs nothing that matters, and an alert recorded
as sent stays recorded across a power cut (NORMAL could lose the last commits and send it twice).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot import matchrows
from bot.matchrows import MATCH_SCHEMA
from bot.outbox import OUTBOX_SCHEMA, OutboxSQL, due, queue, upgrade
from bot.sqlrows import (
    REPORT_COLUMNS,
    StoredReport,
    chunks,
    iso,
    parse_iso,
    placeholders,
    report_row,
    stored_report,
)
from watchers.fetch import SourceState
from watchers.models import Alert, Hit, Matched, Report

if TYPE_CHECKING:
    from watchers.poll import PollOutcome

__all__ = [
    "SCHEMA_VERSION",
    "SQLITE_HEADER",
    "SqlStore",
    "StoredReport",
    "iso",
    "parse_iso",
    "report_row",
]

T = TypeVar("T")

SCHEMA_VERSION = 1
SQLITE_HEADER = b"SQLite format 3\x00"
LAST_SEEN_GRANULARITY = timedelta(days=1)
READERS = 4

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS reports (
        id TEXT PRIMARY KEY,
        story TEXT,
        url TEXT NOT NULL,
        canonical_url TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        published TEXT,
        outlet TEXT NOT NULL,
        domain TEXT NOT NULL,
        language TEXT,
        country TEXT,
        source TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        sort_time TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS reports_story ON reports (story)",
    "CREATE INDEX IF NOT EXISTS reports_sort_time ON reports (sort_time DESC)",
    "CREATE INDEX IF NOT EXISTS reports_last_seen ON reports (last_seen)",
    "CREATE TABLE IF NOT EXISTS source_state (name TEXT PRIMARY KEY, state TEXT NOT NULL)",
    *OUTBOX_SCHEMA,
    *MATCH_SCHEMA,
)


class SQL:
    """Every statement the store runs; `{ids}` stands for a list of `?` placeholders."""

    get_meta = "SELECT value FROM meta WHERE key = ?"
    set_meta = (
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    known_ids = "SELECT id FROM reports WHERE id IN ({ids})"
    known_stories = "SELECT story FROM reports WHERE story IN ({ids})"
    refresh = "UPDATE reports SET last_seen = ? WHERE last_seen < ? AND id IN ({ids})"
    insert_report = (
        f"INSERT INTO reports ({REPORT_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
    )
    newest = f"SELECT {REPORT_COLUMNS} FROM reports ORDER BY sort_time DESC LIMIT ?"
    prune_reports = "DELETE FROM reports WHERE last_seen < ?"
    save_state = (
        "INSERT INTO source_state (name, state) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET state = excluded.state"
    )
    import_state = (
        "INSERT INTO source_state (name, state) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
    )
    one_state = "SELECT state FROM source_state WHERE name = ?"
    all_states = "SELECT name, state FROM source_state"


class SqlStore:
    """The SQLite side of `bot.storage.Store`; every method is a coroutine safe to call at once."""

    def __init__(self, path: Path) -> None:
        """Open (creating if needed) the database; sqlite3.Error or OSError when it is unusable."""
        self.path = path
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._local = threading.local()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="newswatch-sql-writer")
        self._readers = ThreadPoolExecutor(READERS, thread_name_prefix="newswatch-sql-reader")
        try:
            self._writer.submit(self._open_writer).result()
        except BaseException:
            self.shutdown()
            raise

    # Connections -------------------------------------------------------------------------

    def _connect(self, target: str, *, uri: bool = False) -> sqlite3.Connection:
        connection = sqlite3.connect(
            target, uri=uri, timeout=30, isolation_level=None, check_same_thread=False
        )
        with self._guard:
            self._connections.append(connection)
        return connection

    def _open_writer(self) -> None:
        """Runs in the writer thread: WAL, FULL sync, foreign keys, and the schema."""
        connection = self._connect(str(self.path))
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if tables and "meta" not in tables:  # checked before anything could change the file
            raise sqlite3.DatabaseError("it is not a Newswatch database")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA foreign_keys=ON")
        with _transaction(connection):
            for statement in SCHEMA:
                connection.execute(statement)
            upgrade(connection)
            matchrows.upgrade(connection)
            connection.execute(SQL.set_meta, ("opened", iso(datetime.now(UTC))))  # a real write
            row = connection.execute(SQL.get_meta, ("schema",)).fetchone()
            if row is None:
                connection.execute(SQL.set_meta, ("schema", str(SCHEMA_VERSION)))
            elif int(row[0]) > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"it was written by a newer Newswatch (schema {row[0]})"
                )
        self._local.connection = connection

    def _connection(self, *, reader: bool) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            assert reader, "the writer connection is opened first"
            connection = self._connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            self._local.connection = connection
        return connection

    async def _read(self, func: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._readers, lambda: func(self._connection(reader=True))
        )

    def _transact(self, func: Callable[[sqlite3.Connection], T]) -> T:
        """Run `func` inside one transaction; only ever in the writer thread."""
        connection = self._connection(reader=False)
        with _transaction(connection):
            return func(connection)

    async def _write(self, func: Callable[[sqlite3.Connection], T]) -> T:
        """Run `func` in the writer thread inside one transaction."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self._transact, func)

    def write_now(self, func: Callable[[sqlite3.Connection], T]) -> T:
        """`_write` for code that runs before the event loop (the migration at start-up)."""
        return self._writer.submit(self._transact, func).result()

    def shutdown(self) -> None:
        """Finish queued writes, then close every connection."""
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._guard:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    async def close(self) -> None:
        await asyncio.to_thread(self.shutdown)

    # Meta --------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        """A value the store keeps about itself (schema version, migration record)."""

        def get(connection: sqlite3.Connection) -> str | None:
            row = connection.execute(SQL.get_meta, (key,)).fetchone()
            return row[0] if row else None

        return self._writer.submit(lambda: get(self._connection(reader=False))).result()

    # Reports -----------------------------------------------------------------------------

    async def unseen(self, reports: Sequence[Report]) -> list[Report]:
        """The reports whose id and story are both unknown, each once, in the given order."""
        if not reports:
            return []

        def find(connection: sqlite3.Connection) -> list[Report]:
            ids = list(dict.fromkeys(r.id for r in reports))
            stories = list({r.story for r in reports if r.story})
            known = set(_column(connection, SQL.known_ids, ids))
            known_stories = set(_column(connection, SQL.known_stories, stories))
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

        return await self._read(find)

    async def record(
        self,
        seen: Sequence[Report],
        new: Sequence[Report],
        at: datetime,
        poll: PollOutcome | None = None,
    ) -> tuple[list[Report], list[Alert]]:
        """Refresh last_seen of what a source still shows and insert the new reports; with `poll`
        (the outcome they came from), save its source's state, what the matcher found in the new
        reports, and queue its alerts of reports inserted now, all in one transaction.

        Returns the reports inserted and the alerts queued: a report another poll stored first
        (same id or same story) is neither inserted nor alerted again.
        """

        def run(connection: sqlite3.Connection) -> tuple[list[Report], list[Alert]]:
            now = iso(at)
            stale = iso(at - LAST_SEEN_GRANULARITY)
            ids = list(dict.fromkeys(r.id for r in seen))
            for chunk in chunks(ids):
                sql = SQL.refresh.format(ids=placeholders(len(chunk)))
                connection.execute(sql, (now, stale, *chunk))
            inserted: list[Report] = []
            for report in new:
                cursor = connection.execute(SQL.insert_report, report_row(report, at, at))
                if cursor.rowcount == 1:
                    inserted.append(report)
            if poll is None:
                return inserted, []
            if poll.matched is not None:
                matchrows.record(connection, poll.matched)
            connection.execute(SQL.save_state, (poll.source, json.dumps(poll.state.to_dict())))
            stored_now = {r.id for r in inserted}
            return inserted, queue(
                connection, poll.source, poll.alerts, poll.overflow, stored_now, now
            )

        return await self._write(run)

    async def recent(self, limit: int) -> list[StoredReport]:
        """The `limit` newest reports by publication (else first-seen) time, newest first."""

        def newest(connection: sqlite3.Connection) -> list[StoredReport]:
            return [stored_report(row) for row in connection.execute(SQL.newest, (limit,))]

        return await self._read(newest)

    async def prune(self, seen_before: datetime) -> int:
        """Forget reports no source has shown since the cut-off, with their outbox entries and
        their matches."""

        def run(connection: sqlite3.Connection) -> int:
            cutoff = iso(seen_before)
            connection.execute(OutboxSQL.prune, (cutoff,))
            matchrows.prune(connection, cutoff)
            return connection.execute(SQL.prune_reports, (cutoff,)).rowcount

        return await self._write(run)

    async def record_matches(self, matched: Matched) -> None:
        """Store what a matcher found in reports stored before (see `bot.matchrows.record`)."""
        await self._write(lambda connection: matchrows.record(connection, matched))

    async def unmatched(self, window: int, count: int) -> list[Report]:
        """See `bot.matchrows.unmatched`."""
        return await self._read(lambda connection: matchrows.unmatched(connection, window, count))

    async def indexed(
        self, watches: Sequence[str], limit: int
    ) -> tuple[list[tuple[StoredReport, list[Hit]]], bool]:
        """See `bot.matchrows.indexed`."""
        return await self._read(lambda connection: matchrows.indexed(connection, watches, limit))

    async def unindexed(
        self, watches: Sequence[str], limit: int
    ) -> list[tuple[StoredReport, frozenset[str]]]:
        """See `bot.matchrows.unindexed`."""
        return await self._read(lambda connection: matchrows.unindexed(connection, watches, limit))

    # Source state ------------------------------------------------------------------------

    async def source_state(self, name: str) -> SourceState | None:
        def one(connection: sqlite3.Connection) -> SourceState | None:
            row = connection.execute(SQL.one_state, (name,)).fetchone()
            return SourceState.from_dict(json.loads(row[0])) if row else None

        return await self._read(one)

    async def source_states(self) -> dict[str, SourceState]:
        def every(connection: sqlite3.Connection) -> dict[str, SourceState]:
            rows = connection.execute(SQL.all_states).fetchall()
            return {name: SourceState.from_dict(json.loads(state)) for name, state in rows}

        return await self._read(every)

    async def save_source_state(self, name: str, state: SourceState) -> None:
        def run(connection: sqlite3.Connection) -> None:
            connection.execute(SQL.save_state, (name, json.dumps(state.to_dict())))

        await self._write(run)

    # Outbox ------------------------------------------------------------------------------

    async def pending_alerts(
        self, limit: int, now: datetime, skip_chats: Collection[int] = ()
    ) -> list[Alert]:
        """Queued alerts due by `now` (see `bot.outbox.due` for their order), leaving out the
        chats in `skip_chats` (those the sender must not send to yet: a group at its rate limit,
        a chat told to wait)."""
        return await self._read(lambda connection: due(connection, iso(now), skip_chats, limit))

    async def finish(self, outcomes: Sequence[tuple[int, str, str, str | None]]) -> None:
        """Record many sends' outcomes (chat id, report id, status, error) in one transaction:
        the sender's group commit. Done entries never change again."""
        when = iso(datetime.now(UTC))
        rows = [(status, error, when, chat, report) for chat, report, status, error in outcomes]
        if not rows:
            return

        def run(connection: sqlite3.Connection) -> None:
            connection.executemany(OutboxSQL.set_status, rows)

        await self._write(run)

    async def hold_chat(self, chat_id: int, reason: str) -> int:
        """Set the chat's pending alerts aside (the chat cannot be reached); how many."""

        def run(connection: sqlite3.Connection) -> int:
            return connection.execute(OutboxSQL.hold_chat, (reason, chat_id)).rowcount

        return await self._write(run)

    async def release_chat(self, chat_id: int, since: datetime, reason: str) -> int:
        """Queue the chat's set-aside alerts created since `since` again and drop older ones
        with `reason`; how many were queued again."""

        def run(connection: sqlite3.Connection) -> int:
            released = connection.execute(OutboxSQL.release_chat, (chat_id, iso(since))).rowcount
            connection.execute(OutboxSQL.drop_held, (reason, chat_id))
            return released

        return await self._write(run)

    async def move_chat(self, old: int, new: int) -> None:
        """Move the chat's outbox entries to its new id (a group became a supergroup); an entry
        the new id already has for the same report wins."""

        def run(connection: sqlite3.Connection) -> None:
            connection.execute(OutboxSQL.copy_chat, (new, old))
            connection.execute(OutboxSQL.delete_chat, (old,))

        await self._write(run)

    async def prune_done(self, before: datetime) -> int:
        """Delete entries sent or dropped before `before`: their reports' rows keep them from
        being queued again, so the done entries themselves need not stay."""

        def run(connection: sqlite3.Connection) -> int:
            return connection.execute(OutboxSQL.prune_done, (iso(before),)).rowcount

        return await self._write(run)

    async def outbox_counts(self) -> dict[str, int]:
        """How many outbox entries are in each status, for operators."""

        def count(connection: sqlite3.Connection) -> dict[str, int]:
            return dict(connection.execute(OutboxSQL.count_status).fetchall())

        return await self._read(count)


class _transaction:
    """BEGIN ... COMMIT, or ROLLBACK when the body raises: all of it or none of it."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            try:
                self.connection.execute("COMMIT")
                return
            except BaseException:
                if self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")
                raise
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")


def _column(connection: sqlite3.Connection, template: str, values: Sequence[str]) -> list[Any]:
    """The first column of `template` run over `values` as its IN list, chunk by chunk."""
    found: list[Any] = []
    for chunk in chunks(values):
        sql = template.format(ids=placeholders(len(chunk)))
        found += [row[0] for row in connection.execute(sql, tuple(chunk))]
    return found
