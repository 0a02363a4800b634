"""The import of the previous single-file store (`newswatch.json`, its reports beside it in
`newswatch.reports.json`): once, at start-up, leaving the old files as they were.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.store.chats import Chats
from bot.store.codec import iso, parse_iso, report_row
from bot.store.database import Database
from bot.store.reports import ReportSQL
from bot.store.schema import MetaSQL
from bot.store.shards import StorageError, chats_in, read_json, table
from bot.store.sources import import_state
from watchers.models import Report, SourceState

__all__ = ["LEGACY_NAME", "import_legacy", "reports_path"]

logger = logging.getLogger(__name__)

LEGACY_NAME = "newswatch.json"


def reports_path(main: Path) -> Path:
    """Where the previous store kept reports: beside its main file (x.json -> x.reports.json)."""
    return main.with_name(f"{main.stem}.reports{main.suffix}")


def import_legacy(db: Database, chats: Chats, main: Path) -> None:
    """Import the previous store's chats, source state and reports, once; the files stay as
    they were. What the new store already holds wins, so a late import never undoes a change."""
    reports_file = reports_path(main)
    if db.meta("migrated") is not None:
        return
    if not main.is_file() and not reports_file.is_file():
        return
    old = read_json(main, empty_ok=True) if main.is_file() else None
    new_chats = [c for c in chats_in(main, old) if chats.get(c.chat_id) is None] if old else []
    sources = [
        (doc.get("name"), doc.get("state"))
        for doc in table(old, "sources", main).values()
        if isinstance(doc.get("name"), str) and isinstance(doc.get("state"), dict)
    ]
    docs = (
        list(table(read_json(reports_file, empty_ok=True), "reports", reports_file).values())
        if reports_file.is_file()
        else []
    )
    rows = []
    for doc in docs:
        try:
            rows.append(_legacy_report_row(doc))
        except (KeyError, TypeError, ValueError) as error:
            raise StorageError(
                f"{reports_file} holds a report of the wrong shape ({error})"
            ) from None
    chats.save_many_now(new_chats)

    def import_rows(connection: sqlite3.Connection) -> int:
        for name, state in sources:
            import_state(connection, name, SourceState.from_dict(state))
        before = connection.total_changes
        connection.executemany(ReportSQL.insert, rows)
        imported = connection.total_changes - before
        record = {"from": str(main), "at": iso(datetime.now(UTC)), "reports": imported}
        connection.execute(MetaSQL.set, ("migrated", json.dumps(record)))
        return imported

    try:
        imported = db.write_now(import_rows)
    except (sqlite3.Error, TypeError, ValueError) as error:
        raise StorageError(f"{main} could not be imported ({error})") from None
    logger.info(
        "imported the previous store %s: %d chats, %d source states, %d of %d reports; "
        "the old files are kept as they were",
        main,
        len(new_chats),
        len(sources),
        imported,
        len(docs),
    )


def _legacy_report_row(doc: dict[str, Any]) -> tuple[Any, ...]:
    """A reports-table row from the previous store's report document."""
    first_seen = parse_iso(doc.get("first_seen")) or datetime.now(UTC)
    last_seen = parse_iso(doc.get("last_seen")) or first_seen
    report = Report(
        id=doc["id"],
        url=doc.get("url") or doc["id"],
        canonical_url=doc.get("canonical_url") or doc["id"],
        title=doc.get("title") or "",
        text=doc.get("text") or "",
        published=parse_iso(doc.get("published")),
        outlet=doc.get("outlet") or "",
        domain=doc.get("domain") or "",
        language=doc.get("language"),
        country=doc.get("country"),
        source=doc.get("source") or "",
    )
    return report_row(report, first_seen, last_seen)
