"""The import of the previous single-file store (`newswatch.json`, its reports beside it in
`newswatch.reports.json`): once, at start-up, leaving the old files as they were.

The reports file may hold years of reports (100,000 make over 100 MB). Read whole, it took the
bot's process to four times the file's size, and the allocator kept most of that for good. So
the import runs in a child process that exits when it is done (`bot.store.importer`): the bot's
process never reads the old files, and the child streams them. A parser (ijson, over yajl in C)
hands over one document at a time and rows go to SQLite a thousand at a time, so not even the
child holds the whole file. The bot then reads the chats from their shards, as at any start.

The import is one SQLite transaction, and the chats are written to their shards only once every
report has been read: a report of the wrong shape, or a file that is not whole, is refused before
anything is kept. A late import never undoes a change (what the new store holds wins), and the
`migrated` record makes it happen once.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from bot.store.chats import Chats
from bot.store.codec import chat_from_doc, iso, parse_iso, report_row
from bot.store.database import Database
from bot.store.records import Chat
from bot.store.reports import ReportSQL
from bot.store.schema import MetaSQL
from bot.store.shards import StorageError
from bot.store.sources import import_state
from watchers.models import Report, SourceState

__all__ = [
    "LEGACY_NAME",
    "Imported",
    "import_in_child",
    "import_legacy",
    "needs_import",
    "reports_path",
]

logger = logging.getLogger(__name__)

LEGACY_NAME = "newswatch.json"
ROWS_AT_ONCE = 1000
"""Report rows handed to SQLite at a time: few calls, and a thousand rows is about 1 MB."""
_EVENT_TYPES = {"start_map": "dict", "start_array": "list", "string": "str", "boolean": "bool"}


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import brought in: chats, source states, and reports (`read` of them were in the
    file; the others were already stored, by id or by headline)."""

    chats: int
    sources: int
    reports: int
    read: int


def reports_path(main: Path) -> Path:
    """Where the previous store kept reports: beside its main file (x.json -> x.reports.json)."""
    return main.with_name(f"{main.stem}.reports{main.suffix}")


def needs_import(db: Database, main: Path) -> bool:
    """Whether the previous store at `main` is there and not imported yet."""
    if not main.is_file() and not reports_path(main).is_file():
        return False
    return db.meta("migrated") is None


def import_in_child(data_dir: Path, main: Path) -> None:
    """Import the previous store at `main` into the store in `data_dir` (open in this process,
    idle) by the child process `python -m bot.store.importer`, and log what it brought in;
    StorageError with the child's sentence when it refused."""
    command = [sys.executable, "-m", "bot.store.importer", str(data_dir), str(main)]
    child = subprocess.run(command, stdout=subprocess.PIPE, check=False)
    failed = f"{main} could not be imported (the import exited {child.returncode})"
    try:
        said = json.loads(child.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        said = {"error": failed}
    if "error" in said:
        raise StorageError(said["error"])
    try:
        done = Imported(**said)
    except TypeError:  # a child of another version: its answer is not this one's
        raise StorageError(failed) from None
    logger.info(
        "imported the previous store %s: %d chats, %d source states, %d of %d reports; "
        "the old files are kept as they were",
        main,
        done.chats,
        done.sources,
        done.reports,
        done.read,
    )


def import_legacy(db: Database, chats: Chats, main: Path) -> Imported:
    """Import the previous store's chats, source state and reports, in one transaction; the
    files stay as they were. StorageError, with nothing imported, when a file is not whole or
    of the wrong shape."""
    reports_file = reports_path(main)
    new_chats = [c for c in _chats(main) if chats.get(c.chat_id) is None]
    sources: list[tuple[str, dict[str, Any]]] = [
        (doc["name"], doc["state"])
        for doc in _documents(main, "sources")
        if isinstance(doc.get("name"), str) and isinstance(doc.get("state"), dict)
    ]
    read = 0

    def import_rows(connection: sqlite3.Connection) -> int:
        nonlocal read
        for name, state in sources:
            import_state(connection, name, SourceState.from_dict(state))
        before = connection.total_changes
        rows = (
            _legacy_report_row(doc, reports_file) for doc in _documents(reports_file, "reports")
        )
        while batch := list(islice(rows, ROWS_AT_ONCE)):
            connection.executemany(ReportSQL.insert, batch)
            read += len(batch)
        imported = connection.total_changes - before
        chats.save_many_now(new_chats)  # every report read: nothing is refused any more
        record = {"from": str(main), "at": iso(datetime.now(UTC)), "reports": imported}
        connection.execute(MetaSQL.set, ("migrated", json.dumps(record)))
        return imported

    try:
        imported = db.write_now(import_rows)
    except (sqlite3.Error, TypeError, ValueError) as error:
        raise StorageError(f"{main} could not be imported ({error})") from None
    return Imported(len(new_chats), len(sources), imported, read)


def _chats(main: Path) -> list[Chat]:
    """The chats of the previous store's main file, each read as a shard's chat is."""
    chats = []
    for doc in _documents(main, "chats"):
        try:
            chats.append(chat_from_doc(doc))
        except ValueError as error:
            raise StorageError(f"{main} holds a chat of the wrong shape ({error})") from None
    return chats


def _documents(path: Path, name: str) -> Iterator[dict[str, Any]]:
    """The documents of one TinyDB table of the file, one at a time (none when the file or the
    table is missing or the file empty); StorageError naming the file when it cannot be read,
    is not whole JSON or is not TinyDB's shape, in the words `shards.read_json` and
    `shards.table` use for a file read whole."""
    try:
        with path.open("rb") as handle:
            if not _has_table(handle, path, name):
                return
            handle.seek(0)
            for _, doc in ijson.kvitems(handle, name, use_float=True):
                if not isinstance(doc, dict):
                    raise StorageError(f"{path} has a {name!r} entry that is not a TinyDB table")
                yield doc
    except FileNotFoundError:
        return
    except ijson.JSONError as error:
        raise _not_json(path, error) from None
    except OSError as error:
        raise StorageError(f"{path} cannot be read ({error.strerror or error})") from None


def _has_table(handle: BinaryIO, path: Path, name: str) -> bool:
    """Read up to the value of the top-level key `name`: True when it is a table, False when
    the file is empty or has none; StorageError when the file is not TinyDB's shape."""
    events = ijson.parse(handle, use_float=True)
    try:
        _, event, value = next(events)
    except ijson.IncompleteJSONError:
        handle.seek(0)
        if all(not chunk.strip() for chunk in iter(lambda: handle.read(1 << 16), b"")):
            return False  # empty, as a new file of the previous store was
        raise
    if event == "null":
        return False
    if event != "start_map":
        kind = _EVENT_TYPES.get(event, type(value).__name__)
        raise StorageError(f"{path} holds a JSON {kind}, not TinyDB tables")
    for prefix, event, value in events:
        if prefix == "" and event == "map_key" and value == name:
            _, kind, _ = next(events)
            if kind != "start_map":
                raise StorageError(f"{path} has a {name!r} entry that is not a TinyDB table")
            return True
    return False


def _not_json(path: Path, error: ijson.JSONError) -> StorageError:
    """The parser's complaint in one line: it names the error, then draws where it is."""
    said = error.args[0] if error.args else ""
    text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    first = text.strip().splitlines()[0].rstrip(".") if text.strip() else "not whole"
    if "UTF8" in first:
        return StorageError(f"{path} is not UTF-8 text ({first.removeprefix('lexical error: ')})")
    return StorageError(f"{path} is not valid JSON ({first})")


def _legacy_report_row(doc: dict[str, Any], path: Path) -> tuple[Any, ...]:
    """A reports-table row from the previous store's report document; StorageError naming the
    file for a document of the wrong shape."""
    try:
        return _report_row(doc)
    except (KeyError, TypeError, ValueError) as error:
        raise StorageError(f"{path} holds a report of the wrong shape ({error})") from None


def _report_row(doc: dict[str, Any]) -> tuple[Any, ...]:
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
