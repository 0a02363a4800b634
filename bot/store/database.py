"""The SQLite file and its threads: one writer, a few readers, one transaction per write.

One writer connection lives in its own thread and runs every write, so one poll's outcome is one
transaction and writes never interleave; readers use their own read-only connections in other
threads, and in WAL mode they never wait for the writer. The table groups (`reports`, `sources`,
`outbox`, `matches`, `polls`) hand this a function of a connection; it runs it on the right thread.

WAL with synchronous=FULL: a commit is fsynced before it returns. Writes are a few per minute (one
per poll, one per delivery batch), so the fsync costs nothing that matters, and an alert recorded
as sent stays recorded across a power cut (NORMAL could lose the last commits and send it twice).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from bot.store.schema import MetaSQL, create

__all__ = ["IN_CHUNK", "Database", "chunks", "column", "placeholders", "transaction"]

T = TypeVar("T")

READERS = 4
IN_CHUNK = 500  # ids per IN (...) list, well under every engine's parameter limit
IN_SIZES = (1, 4, 16, 64, 256, IN_CHUNK)
"""The lengths an IN list is padded to: a few statements of each kind to prepare and cache."""


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" * count)


def chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """`values` in slices of at most IN_CHUNK, one IN list each, each padded with its last value
    (which an IN list ignores) to one of `IN_SIZES`. sqlite3 keeps every statement it prepared
    (128 a connection), and IN lists of every length from 1 to 500 filled five connections' caches
    with large ones: 3-5 MB of the bot after the first polls (`bench.upgrade`)."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        size = next(size for size in IN_SIZES if size >= len(chunk))
        yield [*chunk, *[chunk[-1]] * (size - len(chunk))]


def column(connection: sqlite3.Connection, template: str, values: Sequence[Any]) -> list[Any]:
    """The first column of `template` (with `{ids}` for its IN list) over `values`, by chunks."""
    found: list[Any] = []
    for chunk in chunks(values):
        sql = template.format(ids=placeholders(len(chunk)))
        found += [row[0] for row in connection.execute(sql, tuple(chunk))]
    return found


class transaction:
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


class Database:
    """The SQLite file; `read` and `write` are coroutines safe to call at once."""

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
        with transaction(connection):
            create(connection)
        self._local.connection = connection

    def _connection(self, *, reader: bool) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            assert reader, "the writer connection is opened first"
            connection = self._connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            self._local.connection = connection
        return connection

    async def read(self, func: Callable[[sqlite3.Connection], T]) -> T:
        """Run `func` on a reader thread's read-only connection."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._readers, lambda: func(self._connection(reader=True))
        )

    def _transact(self, func: Callable[[sqlite3.Connection], T]) -> T:
        """Run `func` inside one transaction; only ever in the writer thread."""
        connection = self._connection(reader=False)
        with transaction(connection):
            return func(connection)

    async def write(self, func: Callable[[sqlite3.Connection], T]) -> T:
        """Run `func` in the writer thread inside one transaction."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self._transact, func)

    def write_now(self, func: Callable[[sqlite3.Connection], T]) -> T:
        """`write` for code that runs before the event loop (the legacy import at start-up)."""
        return self._writer.submit(self._transact, func).result()

    def meta(self, key: str) -> str | None:
        """A value the store keeps about itself (schema version, import record)."""

        def get(connection: sqlite3.Connection) -> str | None:
            row = connection.execute(MetaSQL.get, (key,)).fetchone()
            return row[0] if row else None

        return self._writer.submit(lambda: get(self._connection(reader=False))).result()

    def shutdown(self) -> None:
        """Finish queued writes, then close every connection."""
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        with self._guard:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
