"""The SQLite schema: every table and index, the upgrade of a file from an older Newswatch, and
the schema version a file records, so a newer file is refused rather than misread.

Tables: `meta` (what the store keeps about itself), `reports` (every report seen, bounded by
retention, each with its story), `source_state` (one JSON document per source), `outbox` (alerts
and edits of alerts to send, and what became of them), and the match index
(`bot.store.matches`): `watches` (an id for each raw watch, and from which matcher on it is
covered) and one compact record of each report's hits: its watch ids in `report_hits` (small
rows, walked newest first by `report_hits_newest`) and the forms found in `report_forms`. The
statements are standard SQL with `?` placeholders, so a PostgreSQL implementation can follow.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bot.store.codec import iso

__all__ = [
    "OUTBOX_COLUMNS",
    "OUTLET",
    "REPORT_COLUMNS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "SQLITE_HEADER",
    "MetaSQL",
    "create",
]

SCHEMA_VERSION = 1
SQLITE_HEADER = b"SQLite format 3\x00"

REPORT_COLUMNS = (
    "id, headline_key, url, canonical_url, title, body, published, outlet, domain, language, "
    "country, source, first_seen, last_seen, sort_time, regional, story"
)
OUTBOX_COLUMNS = (
    "chat_id, report_id, keyword, form, summary, created, status, attempts, next_attempt, "
    "last_error, context, source, turn, more, origin, edits, message_id"
)

OUTLET = "CASE WHEN domain != '' THEN domain ELSE outlet END"
"""Who published a stored report, as the outlets of a story are counted."""

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS reports (
        id TEXT PRIMARY KEY,
        headline_key TEXT,
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
    "CREATE UNIQUE INDEX IF NOT EXISTS reports_headline ON reports (headline_key)",
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
        source TEXT NOT NULL DEFAULT '',
        turn INTEGER NOT NULL DEFAULT 0,
        more INTEGER NOT NULL DEFAULT 0,
        origin TEXT NOT NULL DEFAULT '',
        edits TEXT,
        message_id BIGINT,
        PRIMARY KEY (chat_id, report_id)
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, next_attempt)",
    """CREATE TABLE IF NOT EXISTS watches (
        id INTEGER PRIMARY KEY,
        raw TEXT NOT NULL UNIQUE,
        since INTEGER
    )""",
    """CREATE TABLE IF NOT EXISTS report_hits (
        report_id TEXT PRIMARY KEY REFERENCES reports (id),
        sort_time TEXT NOT NULL,
        ids BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS report_forms (
        report_id TEXT PRIMARY KEY REFERENCES reports (id),
        members BLOB NOT NULL,
        groups TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS report_hits_newest ON report_hits (sort_time, report_id)",
)

ADDED_COLUMNS = {
    "context": "TEXT NOT NULL DEFAULT ''",
    "source": "TEXT NOT NULL DEFAULT ''",
    "turn": "INTEGER NOT NULL DEFAULT 0",
    "more": "INTEGER NOT NULL DEFAULT 0",
    "origin": "TEXT NOT NULL DEFAULT ''",
    "edits": "TEXT",
    "message_id": "BIGINT",
}
"""Outbox columns a file from an older Newswatch lacks; what it had queued gets these defaults
(no context, no source, all at turn 0, plain alerts, no edits, no message known) and goes out
first. `edits`: the report whose alert this entry writes again (an edit, `Edit`); `message_id`:
the message an alert was sent as, which its edits change."""

REPORT_COLUMNS_ADDED = {
    "regional": "INTEGER NOT NULL DEFAULT 0",
    "matched": "INTEGER",
    "story": "TEXT",
}
"""Report columns a file from an older Newswatch lacks, which the match index needs: whether
the report's outlet is regional (to match its text again as the live matcher did) and the
generation of the matcher that matched it (NULL: none did, so it is not covered for any watch
and is matched again as `bot.store.matches` describes), and the story it is in (NULL: grouped
by none, as before stories were)."""

WINDOW_INDEX = "CREATE INDEX IF NOT EXISTS reports_matched ON reports (sort_time, matched, id)"
"""The newest reports with the matcher that matched each, read from the index alone; made once
`matched` exists."""

TURN_INDEX = "CREATE INDEX IF NOT EXISTS outbox_turns ON outbox (chat_id, status, turn, source)"
"""A chat's pending entries in turn order, and its sources' turns, read from the index rather
than from every row of the outbox; made once `turn` exists."""


STORY_INDEX = "CREATE INDEX IF NOT EXISTS reports_stories ON reports (story, sort_time)"
"""The reports of a story, oldest first; made once `story` exists."""


class MetaSQL:
    """The statements on `meta`."""

    get = "SELECT value FROM meta WHERE key = ?"
    set = (
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def _add_columns(connection: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
    for name, kind in columns.items():
        if name not in present:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _rename_headline(connection: sqlite3.Connection) -> None:
    """An older Newswatch called the headline key `story`, a name stories now use."""
    present = {row[1] for row in connection.execute("PRAGMA table_info(reports)")}
    if "story" in present and "headline_key" not in present:
        connection.execute("DROP INDEX IF EXISTS reports_story")
        connection.execute("ALTER TABLE reports RENAME COLUMN story TO headline_key")


def _upgrade(connection: sqlite3.Connection) -> None:
    """Add what the outbox and the reports of an older Newswatch lack."""
    _add_columns(connection, "outbox", ADDED_COLUMNS)
    connection.execute(TURN_INDEX)
    _add_columns(connection, "reports", REPORT_COLUMNS_ADDED)
    connection.execute(WINDOW_INDEX)
    connection.execute(STORY_INDEX)


def create(connection: sqlite3.Connection) -> None:
    """Create what is missing, upgrade what is old, and check the file's schema version; runs
    inside the opening transaction, whose real write (`opened`) proves the file is writable.
    sqlite3.DatabaseError for a file a newer Newswatch wrote."""
    _rename_headline(connection)  # before the index on the new name is made
    for statement in SCHEMA:
        connection.execute(statement)
    _upgrade(connection)
    connection.execute(MetaSQL.set, ("opened", iso(datetime.now(UTC))))
    row = connection.execute(MetaSQL.get, ("schema",)).fetchone()
    if row is None:
        connection.execute(MetaSQL.set, ("schema", str(SCHEMA_VERSION)))
    elif int(row[0]) > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"it was written by a newer Newswatch (schema {row[0]})")
