"""The schema (`bot.store.schema`): a database from an older Newswatch opens and gains what it
lacks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.store import (
    Outbox,
    Polls,
    Reports,
)
from bot.store.database import Database
from bot.store.schema import ADDED_COLUMNS, SCHEMA
from tests.store_support import queue_order, queued_poll
from tests.test_delivery import KEYWORD, _report


async def test_an_outbox_from_before_alert_contexts_gains_the_column(tmp_path: Path) -> None:
    """A database written before alerts carried their context ("Ganja" with "Azerbaijan") opens,
    and gains the column, with no context for what was queued."""
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    for statement in SCHEMA:
        old.execute(statement.replace("        context TEXT NOT NULL DEFAULT '',\n", ""))
    old.execute("INSERT INTO meta (key, value) VALUES ('schema', '1')")
    old.commit()
    assert "context" not in {row[1] for row in old.execute("PRAGMA table_info(outbox)")}
    old.close()
    Database(path).shutdown()
    again = sqlite3.connect(path)
    assert "context" in {row[1] for row in again.execute("PRAGMA table_info(outbox)")}
    again.close()


OLD_OUTBOX = """CREATE TABLE outbox (
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
)"""


async def test_an_outbox_from_before_volume_control_gains_its_columns_and_still_sends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    first = Database(path)  # every other table as it is now
    await Reports(first).add([_report("old")], datetime.now(UTC))
    first.shutdown()
    old = sqlite3.connect(path)
    old.execute("DROP TABLE outbox")
    old.execute(OLD_OUTBOX)
    old.execute(
        "INSERT INTO outbox VALUES (1, 'https://wire.test/old', ?, ?, 's', '2026-01-01', "
        "'pending', 0, '2026-01-01', NULL, '')",
        (KEYWORD, KEYWORD),
    )
    old.commit()
    old.close()
    db = Database(path)
    try:
        with sqlite3.connect(path) as look:
            columns = {row[1] for row in look.execute("PRAGMA table_info(outbox)")}
        look.close()
        assert set(ADDED_COLUMNS) <= columns
        await Polls(db).record_poll(queued_poll("B", 1, [_report("new")]))
        pending = await Outbox(db).pending(10, datetime.now(UTC))
        assert queue_order(pending) == [(1, "old"), (1, "new")]
        assert (pending[0].more, pending[0].origin, pending[0].summary) == (0, "", "s")
    finally:
        db.shutdown()
