"""What churns, in SQLite: seen reports, source state and the alert outbox.

One writer connection lives in its own thread and runs every write, so one poll's outcome is one
transaction and writes never interleave; readers use their own read-only connections in other
threads, and in WAL mode they never wait for the writer. The queries are standard SQL (every
statement is in `SQL` below, with `?` placeholders) so a PostgreSQL implementation can follow;
timestamps are ISO-8601 UTC text of fixed width, so text order is time order.

WAL with synchronous=FULL: a commit is fsynced before it returns. Writes are a few per minute (one
per poll, one per delivery batch), so the fsync costs nothing that matters, and an alert recorded
as sent stays recorded across a power cut (NORMAL could lose the last commits and send it twice).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from watchers.fetch import SourceState
from watchers.identity import story_key
from watchers.models import Alert, Report

__all__ = [
    "SCHEMA_VERSION",
    "SQLITE_HEADER",
    "SqlStore",
    "StoredReport",
    "iso",
    "parse_iso",
]

T = TypeVar("T")

SCHEMA_VERSION = 1
SQLITE_HEADER = b"SQLite format 3\x00"
LAST_SEEN_GRANULARITY = timedelta(days=1)
STORED_TEXT_CHARS = 2000
"""Stored report text serves /latest matching only (alerts are summarised when first seen)."""
READERS = 4
IN_CHUNK = 500  # ids per IN (...) list, well under every engine's parameter limit

REPORT_COLUMNS = (
    "id, story, url, canonical_url, title, body, published, outlet, domain, language, country, "
    "source, first_seen, last_seen, sort_time"
)

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
    """CREATE TABLE IF NOT EXISTS outbox (
        chat_id BIGINT NOT NULL,
        report_id TEXT NOT NULL REFERENCES reports (id),
        keyword TEXT NOT NULL,
        form TEXT NOT NULL,
        summary TEXT NOT NULL,
        created TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt TEXT NOT NULL,
        last_error TEXT,
        context TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (chat_id, report_id)
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, next_attempt)",
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
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
    )
    newest = f"SELECT {REPORT_COLUMNS} FROM reports ORDER BY sort_time DESC LIMIT ?"
    prune_outbox = (
        "DELETE FROM outbox WHERE report_id IN (SELECT id FROM reports WHERE last_seen < ?)"
    )
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
    queue_alert = (
        "INSERT INTO outbox (chat_id, report_id, keyword, form, summary, created, status, "
        "attempts, next_attempt, last_error, context) "
        "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL, ?) ON CONFLICT DO NOTHING"
    )
    pending = (
        "SELECT o.chat_id, o.keyword, o.form, o.summary, o.context, "
        + ", ".join(f"r.{c.strip()}" for c in REPORT_COLUMNS.split(","))
        + " FROM outbox o JOIN reports r ON r.id = o.report_id "
        "WHERE o.status = 'pending' AND o.next_attempt <= ? {skip}"
        "ORDER BY o.next_attempt, o.created, o.chat_id LIMIT ?"
    )
    skip_chats = "AND o.chat_id NOT IN ({ids}) "
    set_status = (
        "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, "
        "next_attempt = ? WHERE chat_id = ? AND report_id = ? AND status IN ('pending', 'held')"
    )
    hold_chat = (
        "UPDATE outbox SET status = 'held', last_error = ? WHERE chat_id = ? AND status = 'pending'"
    )
    release_chat = (
        "UPDATE outbox SET status = 'pending', last_error = NULL "
        "WHERE chat_id = ? AND status = 'held' AND created >= ?"
    )
    drop_held = (
        "UPDATE outbox SET status = 'dropped', last_error = ? WHERE chat_id = ? AND status = 'held'"
    )
    copy_chat = (
        "INSERT INTO outbox (chat_id, report_id, keyword, form, summary, created, status, "
        "attempts, next_attempt, last_error, context) SELECT ?, report_id, keyword, form, "
        "summary, created, status, attempts, next_attempt, last_error, context FROM outbox "
        "WHERE chat_id = ? "
        "ON CONFLICT DO NOTHING"
    )
    delete_chat = "DELETE FROM outbox WHERE chat_id = ?"
    prune_done = "DELETE FROM outbox WHERE status IN ('sent', 'dropped') AND next_attempt < ?"
    count_status = "SELECT status, count(*) FROM outbox GROUP BY status"


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
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
        story_key(report.title, report.domain),
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
    )


def _stored(row: Sequence[Any]) -> StoredReport:
    (id_, _story, url, canonical, title, body, published, outlet, domain) = row[:9]
    language, country, source, first_seen = row[9:13]
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
    )
    return StoredReport(report, parse_iso(first_seen) or datetime.now(UTC))


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
            outbox = {row[1] for row in connection.execute("PRAGMA table_info(outbox)")}
            if "context" not in outbox:  # a file from before alerts named their context
                connection.execute("ALTER TABLE outbox ADD COLUMN context TEXT NOT NULL DEFAULT ''")
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
            stories = list({s for r in reports if (s := story_key(r.title, r.domain))})
            known = set(_column(connection, SQL.known_ids, ids))
            known_stories = set(_column(connection, SQL.known_stories, stories))
            fresh: list[Report] = []
            for report in reports:
                story = story_key(report.title, report.domain)
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
        state: tuple[str, SourceState] | None = None,
        alerts: Sequence[Alert] = (),
    ) -> tuple[list[Report], list[Alert]]:
        """One poll's outcome in one transaction: refresh last_seen of what a source still shows,
        insert the new reports, save the source state, queue the alerts of reports inserted now.

        Returns the reports inserted and the alerts queued: a report another poll stored first
        (same id or same story) is neither inserted nor alerted again.
        """

        def run(connection: sqlite3.Connection) -> tuple[list[Report], list[Alert]]:
            now = iso(at)
            stale = iso(at - LAST_SEEN_GRANULARITY)
            ids = list(dict.fromkeys(r.id for r in seen))
            for chunk in _chunks(ids):
                sql = SQL.refresh.format(ids=placeholders(len(chunk)))
                connection.execute(sql, (now, stale, *chunk))
            inserted: list[Report] = []
            for report in new:
                cursor = connection.execute(SQL.insert_report, report_row(report, at, at))
                if cursor.rowcount == 1:
                    inserted.append(report)
            if state is not None:
                name, value = state
                connection.execute(SQL.save_state, (name, json.dumps(value.to_dict())))
            stored_now = {r.id for r in inserted}
            queued = []
            for alert in alerts:
                if alert.report.id not in stored_now:
                    continue
                cursor = connection.execute(
                    SQL.queue_alert,
                    (
                        alert.chat_id,
                        alert.report.id,
                        alert.keyword,
                        alert.form,
                        alert.summary,
                        now,
                        now,
                        alert.context,
                    ),
                )
                if cursor.rowcount == 1:
                    queued.append(alert)
            return inserted, queued

        return await self._write(run)

    async def recent(self, limit: int) -> list[StoredReport]:
        """The `limit` newest reports by publication (else first-seen) time, newest first."""

        def newest(connection: sqlite3.Connection) -> list[StoredReport]:
            return [_stored(row) for row in connection.execute(SQL.newest, (limit,))]

        return await self._read(newest)

    async def prune(self, seen_before: datetime) -> int:
        """Forget reports no source has shown since the cut-off, with their outbox entries."""

        def run(connection: sqlite3.Connection) -> int:
            cutoff = iso(seen_before)
            connection.execute(SQL.prune_outbox, (cutoff,))
            return connection.execute(SQL.prune_reports, (cutoff,)).rowcount

        return await self._write(run)

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
        """Queued alerts due by `now`, oldest first, leaving out the chats in `skip_chats` (those
        the sender must not send to yet: a group at its rate limit, a chat told to wait)."""
        skipped = list(skip_chats)
        skip = SQL.skip_chats.format(ids=placeholders(len(skipped))) if skipped else ""

        def due(connection: sqlite3.Connection) -> list[Alert]:
            rows = connection.execute(
                SQL.pending.format(skip=skip), (iso(now), *skipped, limit)
            ).fetchall()
            return [
                Alert(chat_id, _stored(rest).report, keyword, form, summary, context)
                for chat_id, keyword, form, summary, context, *rest in rows
            ]

        return await self._read(due)

    async def finish(self, outcomes: Sequence[tuple[int, str, str, str | None]]) -> None:
        """Record many sends' outcomes (chat id, report id, status, error) in one transaction:
        the sender's group commit. Done entries never change again."""
        when = iso(datetime.now(UTC))
        rows = [(status, error, when, chat, report) for chat, report, status, error in outcomes]
        if not rows:
            return

        def run(connection: sqlite3.Connection) -> None:
            connection.executemany(SQL.set_status, rows)

        await self._write(run)

    async def hold_chat(self, chat_id: int, reason: str) -> int:
        """Set the chat's pending alerts aside (the chat cannot be reached); how many."""

        def run(connection: sqlite3.Connection) -> int:
            return connection.execute(SQL.hold_chat, (reason, chat_id)).rowcount

        return await self._write(run)

    async def release_chat(self, chat_id: int, since: datetime, reason: str) -> int:
        """Queue the chat's set-aside alerts created since `since` again and drop older ones
        with `reason`; how many were queued again."""

        def run(connection: sqlite3.Connection) -> int:
            released = connection.execute(SQL.release_chat, (chat_id, iso(since))).rowcount
            connection.execute(SQL.drop_held, (reason, chat_id))
            return released

        return await self._write(run)

    async def move_chat(self, old: int, new: int) -> None:
        """Move the chat's outbox entries to its new id (a group became a supergroup); an entry
        the new id already has for the same report wins."""

        def run(connection: sqlite3.Connection) -> None:
            connection.execute(SQL.copy_chat, (new, old))
            connection.execute(SQL.delete_chat, (old,))

        await self._write(run)

    async def prune_done(self, before: datetime) -> int:
        """Delete entries sent or dropped before `before`: their reports' rows keep them from
        being queued again, so the done entries themselves need not stay."""

        def run(connection: sqlite3.Connection) -> int:
            return connection.execute(SQL.prune_done, (iso(before),)).rowcount

        return await self._write(run)

    async def outbox_counts(self) -> dict[str, int]:
        """How many outbox entries are in each status, for operators."""

        def count(connection: sqlite3.Connection) -> dict[str, int]:
            return dict(connection.execute(SQL.count_status).fetchall())

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
    for chunk in _chunks(values):
        sql = template.format(ids=placeholders(len(chunk)))
        found += [row[0] for row in connection.execute(sql, tuple(chunk))]
    return found
