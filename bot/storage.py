"""The one store the bot uses: chats in TinyDB shards, everything that churns in SQLite.

What users own (chats, settings, watchlists) is small and changes only when a user acts: it
lives in memory as plain dataclasses, so a read never touches disk, and on disk in 256 TinyDB
files `chats/NN.json` by chat id, so a write rewrites one small file (atomically) rather than
all chats. Writes go to one dedicated writer thread. Seen reports, source state and the alert
outbox change on every poll and grow with time: they live in SQLite (`bot/sqlstore.py`), where a
write costs the same however much is stored.

`Store` is the one interface: callers get and give plain dataclasses, never documents or rows.
`Store.open` refuses, with one sentence (`StorageError`), a data directory it cannot trust:
malformed shards (empty, truncated, unreadable: see bot/shards.py, which also keeps each shard's
previous copy), a file that is not a database, read-only files, a folder it cannot write.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sqlite3
import stat
import tempfile
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, TinyDB

from bot.shards import (
    CHATS_DIR,
    AtomicJSONStorage,
    StorageError,
    lock_data_dir,
    read_json,
    recovery,
    remove_torn_writes,
    shard_files,
    shard_name,
    table,
)
from bot.sqlstore import (
    SQL,
    SQLITE_HEADER,
    SqlStore,
    StoredReport,
    iso,
    parse_iso,
    report_row,
)
from watchers.fetch import SourceState
from watchers.models import Alert, Hit, Matched, Report, Subscription
from watchers.poll import PollOutcome

__all__ = [
    "AtomicJSONStorage",
    "Chat",
    "StorageError",
    "Store",
    "StoredReport",
    "WatchEntry",
    "load_chats",
    "load_shard",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

DB_NAME = "newswatch.sqlite3"
LEGACY_NAME = "newswatch.json"
_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
_READ_BITS = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


@dataclass(slots=True)
class WatchEntry:
    """One keyword a chat watches, and since when: only reports first seen later are alerted.

    `thread_id` is the forum topic the watch was set in: its alerts go into that topic.
    """

    keyword: str
    since: datetime
    thread_id: int | None = None


@dataclass(slots=True)
class Chat:
    """A private chat, group or channel that talked to the bot, with its settings."""

    chat_id: int
    kind: str = "private"
    title: str = ""
    subscribed: bool = True
    paused: bool = False
    watches: list[WatchEntry] = field(default_factory=list)
    unreachable: str = ""
    """Why Telegram refused the last alert (blocked, kicked, chat gone): alerts stop until
    /start comes from the chat."""
    manages: int | None = None
    """A private chat's pointer (set by /channel) to the channel its commands apply to."""
    paused_since: datetime | None = None
    """When /pause came: /resume counts the reports first seen since then."""

    @property
    def alerts_on(self) -> bool:
        return self.subscribed and not self.paused and not self.unreachable

    @property
    def keywords(self) -> list[str]:
        return [watch.keyword for watch in self.watches]

    def copy(self) -> Chat:
        """A copy a caller may change freely: the store's own copy changes only by save_chat."""
        return Chat(
            self.chat_id,
            self.kind,
            self.title,
            self.subscribed,
            self.paused,
            [WatchEntry(w.keyword, w.since, w.thread_id) for w in self.watches],
            self.unreachable,
            self.manages,
            self.paused_since,
        )

    def watch(self, keyword: str) -> WatchEntry | None:
        """The chat's watch of exactly `keyword`, if any."""
        return next((w for w in self.watches if w.keyword == keyword), None)

    @property
    def searched(self) -> list[str]:
        """The keywords search sources ask for on this chat's behalf: while it is paused too, so
        that what /pause promises (matches wait in /latest) holds for searched reports."""
        return self.keywords if self.subscribed and not self.unreachable else []

    def subscriptions(self) -> tuple[Subscription, ...]:
        """What this chat contributes to matching: its watches, when alerts are on."""
        if not self.alerts_on:
            return ()
        return tuple(Subscription(self.chat_id, w.keyword, w.since) for w in self.watches)


def _watch_to_doc(watch: WatchEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {"keyword": watch.keyword, "since": iso(watch.since)}
    if watch.thread_id is not None:
        doc["thread_id"] = watch.thread_id
    return doc


def _chat_to_doc(chat: Chat) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "chat_id": chat.chat_id,
        "kind": chat.kind,
        "title": chat.title,
        "subscribed": chat.subscribed,
        "paused": chat.paused,
        "watches": [_watch_to_doc(w) for w in chat.watches],
    }
    if chat.unreachable:
        doc["unreachable"] = chat.unreachable
    if chat.manages is not None:
        doc["manages"] = chat.manages
    if chat.paused_since is not None:
        doc["paused_since"] = iso(chat.paused_since)
    return doc


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{what} is {type(value).__name__}")
    return value


def _chat_from_doc(doc: Any) -> Chat:
    """A chat from its stored document; ValueError names the first field of the wrong shape."""
    _expect(doc, dict, "a chat")
    watches = _expect(doc.get("watches", []), list, "watches")
    entries = []
    for watch in watches:
        _expect(watch, dict, "a watch")
        since = _expect(watch.get("since"), (str, type(None)), "since")
        entries.append(
            WatchEntry(
                _expect(watch.get("keyword"), str, "keyword"),
                parse_iso(since) or datetime.now(UTC),
                _expect(watch.get("thread_id"), (int, type(None)), "thread_id"),
            )
        )
    return Chat(
        chat_id=_expect(doc.get("chat_id"), int, "chat_id"),
        kind=_expect(doc.get("kind", "private"), str, "kind"),
        title=_expect(doc.get("title", ""), str, "title"),
        subscribed=_expect(doc.get("subscribed", True), bool, "subscribed"),
        paused=_expect(doc.get("paused", False), bool, "paused"),
        watches=entries,
        unreachable=_expect(doc.get("unreachable", ""), str, "unreachable"),
        manages=_expect(doc.get("manages"), (int, type(None)), "manages"),
        paused_since=parse_iso(_expect(doc.get("paused_since"), (str, type(None)), "paused_since")),
    )


def _chats_in(path: Path, data: Any) -> list[Chat]:
    """The chats of a TinyDB file, given its content."""
    chats = []
    for doc in table(data, "chats", path).values():
        try:
            chats.append(_chat_from_doc(doc))
        except ValueError as error:
            raise StorageError(f"{path} holds a chat of the wrong shape ({error})") from None
    return chats


def _legacy_reports_path(main: Path) -> Path:
    """Where the previous store kept reports: beside its main file (x.json -> x.reports.json)."""
    return main.with_name(f"{main.stem}.reports{main.suffix}")


class _ChatBook:
    """All chats in memory, written through to their shard by one dedicated writer thread.

    The in-memory copy changes only after the shard reached disk, so a failed write changes
    nothing. A version counter moves whenever some chat's active watches change, and the tuple
    of all subscriptions is rebuilt only then.
    """

    def __init__(self, folder: Path, chats: Iterable[Chat]) -> None:
        self.folder = folder
        self._chats = {chat.chat_id: chat for chat in chats}
        self._watches = {chat_id: chat.subscriptions() for chat_id, chat in self._chats.items()}
        self._lock = threading.Lock()
        self._shards: dict[str, TinyDB] = {}
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="newswatch-chat-writer")
        self._subscriptions: tuple[Subscription, ...] | None = None
        self._searched: tuple[str, ...] | None = None
        self.version = 0

    def get(self, chat_id: int) -> Chat | None:
        with self._lock:
            chat = self._chats.get(chat_id)
            return chat.copy() if chat else None

    def all(self) -> list[Chat]:
        with self._lock:
            return [chat.copy() for chat in self._chats.values()]

    def target_of(self, chat_id: int) -> int:
        with self._lock:
            chat = self._chats.get(chat_id)
            return chat.manages if chat is not None and chat.manages is not None else chat_id

    def active_watch(self, chat_id: int, keyword: str) -> WatchEntry | None:
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None or not chat.alerts_on:
                return None
            watch = chat.watch(keyword)
            return WatchEntry(watch.keyword, watch.since, watch.thread_id) if watch else None

    def subscriptions(self) -> tuple[Subscription, ...]:
        with self._lock:
            if self._subscriptions is None:  # joins tuples kept per chat: 50,000 rows in ms
                self._subscriptions = tuple(chain.from_iterable(self._watches.values()))
            return self._subscriptions

    def searched_keywords(self) -> tuple[str, ...]:
        with self._lock:
            if self._searched is None:
                every = (c.searched for c in self._chats.values())
                self._searched = tuple(dict.fromkeys(chain.from_iterable(every)))
            return self._searched

    def _shard(self, chat_id: int) -> TinyDB:
        name = shard_name(chat_id)
        if name not in self._shards:
            self._shards[name] = TinyDB(self.folder / name, storage=AtomicJSONStorage)
        return self._shards[name]

    def _changed(self, chat_id: int, new: Chat | None) -> None:
        """Swap the in-memory chat (lock held) and move the version if its watches changed."""
        old = self._chats.pop(chat_id, None)
        if (old.searched if old else []) != (new.searched if new else []):
            self._searched = None
        before = self._watches.pop(chat_id, ())
        after = new.subscriptions() if new else ()
        if new is not None:
            self._chats[chat_id] = new
            self._watches[chat_id] = after
        if before != after:
            self._subscriptions = None
            self.version += 1

    def save_now(self, chat: Chat) -> None:
        """Write one chat's shard, then memory; runs in the writer thread (or before the loop)."""
        kept = chat.copy()
        self._shard(chat.chat_id).table("chats").upsert(
            _chat_to_doc(kept), Query().chat_id == chat.chat_id
        )
        with self._lock:
            self._changed(chat.chat_id, kept)

    def save_many_now(self, chats: Sequence[Chat]) -> None:
        """Write many chats with one write per shard (the migration)."""
        by_shard: dict[str, list[Chat]] = {}
        for chat in chats:
            by_shard.setdefault(shard_name(chat.chat_id), []).append(chat)
        for group in by_shard.values():
            table = self._shard(group[0].chat_id).table("chats")
            table.insert_multiple(_chat_to_doc(chat) for chat in group)
            with self._lock:
                for chat in group:
                    self._changed(chat.chat_id, chat.copy())

    def _delete_now(self, chat_id: int) -> bool:
        with self._lock:
            if chat_id not in self._chats:
                return False
        self._shard(chat_id).table("chats").remove(Query().chat_id == chat_id)
        with self._lock:
            self._changed(chat_id, None)
        return True

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, func, *args)

    async def save(self, chat: Chat) -> None:
        await self._run(self.save_now, chat.copy())

    async def delete(self, chat_id: int) -> bool:
        return await self._run(self._delete_now, chat_id)

    def close(self) -> None:
        self._writer.shutdown(wait=True)


class Store:
    """Chats in memory and in TinyDB shards; reports, source state and outbox in SQLite."""

    def __init__(
        self,
        chats: _ChatBook,
        sql: SqlStore,
        scratch: Path | None = None,
        lock: int | None = None,
    ) -> None:
        self._chats = chats
        self._sql = sql
        self._scratch = scratch  # a temporary data directory to remove on close
        self._lock = lock  # the open lock file that keeps a second bot out of the data dir

    @classmethod
    def open(cls, data_dir: str | Path, *, legacy: Path | None = None) -> Store:
        """The store in `data_dir`, created if new, after checking it can be trusted.

        Everything is checked before anything is written: the shards' and the database's
        shapes, read-only files (by their mode bits, which hold for root too), then a real
        probe write in each folder. The previous single-file store (`legacy`, else
        `data_dir/newswatch.json`) is imported once, left untouched. StorageError otherwise.
        """
        folder = Path(data_dir)
        shards = folder / CHATS_DIR
        db = folder / DB_NAME
        files = shard_files(shards)
        for path in (folder, shards, db, *_sqlite_sidecars(db), *files):
            _refuse_by_mode(path)
        chats = _load_shards(files)
        _check_sqlite(db)
        for path in (folder, shards):
            _probe(path)
        lock = lock_data_dir(folder)
        remove_torn_writes(shards)
        try:
            sql = SqlStore(db)
        except (sqlite3.Error, OSError) as error:
            os.close(lock)
            raise StorageError(f"{db} cannot be used ({error})") from None
        store = cls(_ChatBook(shards, chats), sql, lock=lock)
        try:
            _migrate(store, legacy or folder / LEGACY_NAME)
        except BaseException:
            store._shutdown()
            raise
        return store

    @classmethod
    def in_memory(cls) -> Store:
        """A store in a temporary directory removed on close: for tests and dry runs."""
        scratch = Path(tempfile.mkdtemp(prefix="newswatch-"))
        store = cls.open(scratch)
        store._scratch = scratch
        return store

    # Chats -------------------------------------------------------------------------------

    async def get_chat(self, chat_id: int) -> Chat | None:
        return self._chats.get(chat_id)

    async def save_chat(self, chat: Chat) -> None:
        await self._chats.save(chat)

    async def delete_chat(self, chat_id: int) -> bool:
        return await self._chats.delete(chat_id)

    async def chats(self) -> list[Chat]:
        return self._chats.all()

    def subscriptions(self) -> tuple[Subscription, ...]:
        """Every keyword of every chat that wants alerts; rebuilt only after a watch changed."""
        return self._chats.subscriptions()

    def target_of(self, chat_id: int) -> int:
        """The chat whose record this chat's commands change: the channel it manages with
        /channel, else itself (read from memory, so cheap enough for every update)."""
        return self._chats.target_of(chat_id)

    def searched_keywords(self) -> tuple[str, ...]:
        """The distinct keywords search sources ask for: those of every subscribed chat."""
        return self._chats.searched_keywords()

    @property
    def watch_version(self) -> int:
        """Moves whenever `subscriptions()` would change: what the matcher cache keys on."""
        return self._chats.version

    def active_watch(self, chat_id: int, keyword: str) -> WatchEntry | None:
        """The chat's watch of the keyword when it still wants its alerts, else None: what the
        sender checks at send time, and where it finds the forum topic to send into."""
        return self._chats.active_watch(chat_id, keyword)

    # Reports and polls -------------------------------------------------------------------

    async def unseen(self, reports: Sequence[Report]) -> list[Report]:
        """The reports not stored yet, by id or by story (same outlet, same headline)."""
        return await self._sql.unseen(reports)

    async def record_poll(self, outcome: PollOutcome) -> list[Alert]:
        """One poll's outcome in one transaction; returns the alerts queued in the outbox (only
        those of reports stored now: another poll may have stored the same story first)."""
        _, queued = await self._sql.record(outcome.seen, outcome.new, outcome.at, outcome)
        return queued

    async def add_reports(self, reports: Sequence[Report], seen_at: datetime) -> list[Report]:
        """Store the reports never seen before and return just those (no source state)."""
        inserted, _ = await self._sql.record(reports, await self.unseen(reports), seen_at)
        return inserted

    async def recent_reports(self, limit: int) -> list[StoredReport]:
        """The `limit` newest reports by publication (else first-seen) time, newest first."""
        return await self._sql.recent(limit)

    async def record_matches(self, matched: Matched) -> None:
        """Store what a matcher found in reports stored before (`bot.matchrows`)."""
        await self._sql.record_matches(matched)

    async def unmatched(self, window: int, count: int) -> list[Report]:
        """Among the `window` newest reports, `count` of those the match index does not cover
        for every watch held now (`bot.matchrows.unmatched`)."""
        return await self._sql.unmatched(window, count)

    async def indexed(
        self, watches: Sequence[str], limit: int
    ) -> tuple[list[tuple[StoredReport, list[Hit]]], bool]:
        """The `limit` newest reports the match index has for any of `watches`, with their hits,
        and whether it has more (`bot.matchrows.indexed`)."""
        return await self._sql.indexed(watches, limit)

    async def unindexed(
        self, watches: Sequence[str], limit: int
    ) -> list[tuple[StoredReport, frozenset[str]]]:
        """Among the `limit` newest reports, those the match index does not cover for all of
        `watches`, with the watches it misses (`bot.matchrows.unindexed`)."""
        return await self._sql.unindexed(watches, limit)

    async def prune_reports(self, seen_before: datetime) -> int:
        """Forget reports no source has shown since the cut-off, so the database stays bounded."""
        return await self._sql.prune(seen_before)

    # Source state ------------------------------------------------------------------------

    async def source_state(self, name: str) -> SourceState | None:
        return await self._sql.source_state(name)

    async def source_states(self) -> dict[str, SourceState]:
        """What the poller remembers about each source, by source name."""
        return await self._sql.source_states()

    async def save_source_state(self, name: str, state: SourceState) -> None:
        await self._sql.save_source_state(name, state)

    # Outbox ------------------------------------------------------------------------------

    async def pending_alerts(
        self, limit: int, now: datetime | None = None, skip_chats: Collection[int] = ()
    ) -> list[Alert]:
        """Queued alerts due by `now` (default: the present) and not yet sent, oldest first,
        without those for `skip_chats`."""
        return await self._sql.pending_alerts(limit, now or datetime.now(UTC), skip_chats)

    async def finish_alerts(self, outcomes: Sequence[tuple[int, str, str, str | None]]) -> None:
        """Many sends' outcomes (chat id, report id, "sent"/"dropped"/"failed", reason) in one
        transaction: the sender's group commit."""
        await self._sql.finish(outcomes)

    async def outbox_counts(self) -> dict[str, int]:
        """Outbox entries by status (pending, held, sent, dropped, failed), for operators."""
        return await self._sql.outbox_counts()

    async def prune_outbox(self, done_before: datetime) -> int:
        """Delete entries sent or dropped before the cut-off."""
        return await self._sql.prune_done(done_before)

    async def set_unreachable(self, chat_id: int, reason: str) -> int:
        """Telegram refused the chat for good (blocked, kicked, gone): stop its alerts with the
        reason, keep its watchlist, set its pending alerts aside; how many were set aside."""
        chat = self._chats.get(chat_id)
        if chat is not None and not chat.unreachable:
            chat.unreachable = reason
            await self._chats.save(chat)
        return await self._sql.hold_chat(chat_id, reason)

    async def reopen_chat(self, chat_id: int, since: datetime) -> int:
        """The chat is reachable again (it sent /start): alerts set aside since `since` are
        queued again, older ones dropped; returns how many were queued again."""
        chat = self._chats.get(chat_id)
        if chat is not None and chat.unreachable:
            chat.unreachable = ""
            await self._chats.save(chat)
        return await self._sql.release_chat(chat_id, since, "set aside too long ago")

    async def move_chat(self, old: int, new: int, kind: str = "supergroup") -> None:
        """A group became a supergroup with a new id: its record (watchlist, settings) and its
        pending alerts move there. A record already at the new id keeps its settings and gains
        the watches it lacked."""
        moved = self._chats.get(old)
        if moved is not None:
            target = self._chats.get(new)
            if target is None:
                target = moved.copy()
                target.chat_id, target.kind = new, kind
            else:
                known = set(target.keywords)
                target.watches += [w for w in moved.watches if w.keyword not in known]
            await self._chats.save(target)
            await self._chats.delete(old)
        await self._sql.move_chat(old, new)

    def _shutdown(self) -> None:
        self._chats.close()
        self._sql.shutdown()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    async def close(self) -> None:
        await asyncio.to_thread(self._shutdown)


def load_chats(data_dir: Path, legacy: Path | None = None) -> list[Chat]:
    """The stored chats, read only (for `newswatch scan` beside a running bot): from the shards,
    or from the previous single-file store when it has not been imported yet."""
    shards = shard_files(data_dir / CHATS_DIR)
    if shards:
        return _load_shards(shards)
    old = legacy or data_dir / LEGACY_NAME
    return _chats_in(old, read_json(old, empty_ok=True)) if old.is_file() else []


def load_shard(path: Path) -> list[Chat]:
    """The chats of one shard, refused (StorageError) when it is missing, empty, unreadable or
    not whole: the writer never leaves such a file, so something else broke it."""
    if not os.path.lexists(path):
        raise StorageError(f"{path} is missing")
    return _chats_in(path, read_json(path))


def _load_shards(paths: Iterable[Path]) -> list[Chat]:
    """Every shard's chats; a refusal names the first bad shard and how to recover it."""
    chats = []
    for path in paths:
        try:
            chats += load_shard(path)
        except StorageError as error:
            raise StorageError(f"{error}; {recovery(path, load_shard)}") from None
    return chats


# Start-up checks ---------------------------------------------------------------------------


def _sqlite_sidecars(db: Path) -> tuple[Path, Path]:
    return db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")


def _refuse_by_mode(path: Path) -> None:
    """A file or folder without write permission would fail at the first write, or (replaced by
    rename) lose its mode, and a file without read permission would not load: refuse them now.
    Mode bits count, since root passes every access()."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise StorageError(f"{path} cannot be read ({error.strerror})") from None
    if stat.S_ISREG(mode) and (not mode & _READ_BITS or not os.access(path, os.R_OK)):
        raise StorageError(f"{path} is not readable; make it readable or move it away")
    if not mode & _WRITE_BITS or not os.access(path, os.W_OK):
        raise StorageError(f"{path} is read-only; make it writable or move it away")


def _check_sqlite(db: Path) -> None:
    """A database file must start with SQLite's header: checked by reading, never by opening,
    which could write to it."""
    try:
        with db.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise StorageError(f"{db} cannot be read ({error.strerror})") from None
    if header and header != SQLITE_HEADER:
        raise StorageError(f"{db} is not an SQLite database; restore it or move it away")


def _probe(folder: Path) -> None:
    """Create, write, fsync and delete a file in `folder`: the only proof writing works there
    (permissions, read-only mounts, /proc) whoever runs the bot."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".probe.", dir=folder)
        try:
            os.write(fd, b"newswatch")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as error:
        raise StorageError(f"cannot write in {folder} ({error.strerror or error})") from None


# Migration from the single-file store -------------------------------------------------------


def _migrate(store: Store, main: Path) -> None:
    """Import the previous store's chats, source state and reports, once; the files stay as
    they were. What the new store already holds wins, so a late import never undoes a change."""
    reports_file = _legacy_reports_path(main)
    if store._sql.meta("migrated") is not None:
        return
    if not main.is_file() and not reports_file.is_file():
        return
    old = read_json(main, empty_ok=True) if main.is_file() else None
    chats = [c for c in _chats_in(main, old) if store._chats.get(c.chat_id) is None] if old else []
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
    store._chats.save_many_now(chats)

    def import_rows(connection: sqlite3.Connection) -> int:
        for name, state in sources:
            connection.execute(
                SQL.import_state, (name, json.dumps(SourceState.from_dict(state).to_dict()))
            )
        before = connection.total_changes
        connection.executemany(SQL.insert_report, rows)
        imported = connection.total_changes - before
        record = {"from": str(main), "at": iso(datetime.now(UTC)), "reports": imported}
        connection.execute(SQL.set_meta, ("migrated", json.dumps(record)))
        return imported

    try:
        imported = store._sql.write_now(import_rows)
    except (sqlite3.Error, TypeError, ValueError) as error:
        raise StorageError(f"{main} could not be imported ({error})") from None
    logger.info(
        "imported the previous store %s: %d chats, %d source states, %d of %d reports; "
        "the old files are kept as they were",
        main,
        len(chats),
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
