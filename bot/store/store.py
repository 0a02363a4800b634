"""The one store the bot opens: chats in TinyDB shards, everything that churns in SQLite.

`Store.open` checks the data directory before it writes anything (`bot.store.checks`), takes its
lock, opens the database and has the previous single-file store imported once, by a child
process (`bot.store.legacy`).
Callers then use the part they need: `chats`, `reports`, `sources`, `outbox`, `matches` (the
match index /latest reads), or `polls` (what the poller is given). The store's own methods are
the changes that span chats and the outbox.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

from bot.store.chats import Chats
from bot.store.checks import check_sqlite, lock_data_dir, probe, refuse_by_mode, sqlite_sidecars
from bot.store.database import Database
from bot.store.legacy import LEGACY_NAME, import_in_child, needs_import
from bot.store.matches import Matches
from bot.store.outbox import Outbox, hold_chat, move_chat, release_chat
from bot.store.polls import Polls
from bot.store.records import Chat
from bot.store.reports import Reports
from bot.store.shards import (
    CHATS_DIR,
    StorageError,
    chats_in,
    load_shards,
    read_json,
    remove_torn_writes,
    shard_files,
)
from bot.store.sources import Sources

__all__ = ["DB_NAME", "Store", "load_chats"]

DB_NAME = "newswatch.sqlite3"


class Store:
    """Chats in memory and in TinyDB shards; reports, source state and outbox in SQLite."""

    def __init__(self, chats: Chats, db: Database, lock: int | None = None) -> None:
        self.chats = chats
        self.reports = Reports(db)
        self.sources = Sources(db)
        self.outbox = Outbox(db)
        self.matches = Matches(db)
        self.polls = Polls(db)
        self._db = db
        self._lock = lock  # the open lock file that keeps a second bot out of the data dir
        self._scratch: Path | None = None  # a temporary data directory to remove on close

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
        db_path = folder / DB_NAME
        files = shard_files(shards)
        for path in (folder, shards, db_path, *sqlite_sidecars(db_path), *files):
            refuse_by_mode(path)
        chats = load_shards(files)
        check_sqlite(db_path)
        for path in (folder, shards):
            probe(path)
        lock = lock_data_dir(folder)
        remove_torn_writes(shards)
        try:
            db = Database(db_path)
        except (sqlite3.Error, OSError) as error:
            os.close(lock)
            raise StorageError(f"{db_path} cannot be used ({error})") from None
        old = legacy or folder / LEGACY_NAME
        try:
            if needs_import(db, old):
                import_in_child(folder, old)
                chats = load_shards(shard_files(shards))  # with those the import added
        except BaseException:
            db.shutdown()
            os.close(lock)
            raise
        return cls(Chats(shards, chats), db, lock=lock)

    @classmethod
    def in_memory(cls) -> Store:
        """A store in a temporary directory removed on close: for tests and dry runs."""
        scratch = Path(tempfile.mkdtemp(prefix="newswatch-"))
        store = cls.open(scratch)
        store._scratch = scratch
        return store

    async def set_unreachable(self, chat_id: int, reason: str) -> int:
        """Telegram refused the chat for good (blocked, kicked, gone): stop its alerts with the
        reason, keep its watchlist, set its pending alerts aside; how many were set aside."""
        chat = self.chats.get(chat_id)
        if chat is not None and not chat.unreachable:
            chat.unreachable = reason
            await self.chats.save(chat)
        return await self._db.write(lambda connection: hold_chat(connection, chat_id, reason))

    async def reopen_chat(self, chat_id: int, since: datetime) -> int:
        """The chat is reachable again (it sent /start): alerts set aside since `since` are
        queued again, older ones dropped; returns how many were queued again."""
        chat = self.chats.get(chat_id)
        if chat is not None and chat.unreachable:
            chat.unreachable = ""
            await self.chats.save(chat)
        reason = "set aside too long ago"
        return await self._db.write(
            lambda connection: release_chat(connection, chat_id, since, reason)
        )

    async def move_chat(self, old: int, new: int, kind: str = "supergroup") -> None:
        """A group became a supergroup with a new id: its record (watchlist, settings) and its
        pending alerts move there. A record already at the new id keeps its settings and gains
        the watches it lacked."""
        moved = self.chats.get(old)
        if moved is not None:
            target = self.chats.get(new)
            if target is None:
                target = moved.copy()
                target.chat_id, target.kind = new, kind
            else:
                known = set(target.keywords)
                target.watches += [w for w in moved.watches if w.keyword not in known]
            await self.chats.save(target)
            await self.chats.delete(old)
        await self._db.write(lambda connection: move_chat(connection, old, new))

    def shutdown(self) -> None:
        """Finish queued writes, close the database and release the data directory."""
        self.chats.close()
        self._db.shutdown()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    async def close(self) -> None:
        """`shutdown` off the event loop."""
        await asyncio.to_thread(self.shutdown)


def load_chats(data_dir: Path, legacy: Path | None = None) -> list[Chat]:
    """The stored chats, read only (for `newswatch scan` beside a running bot): from the shards,
    or from the previous single-file store when it has not been imported yet."""
    shards = shard_files(data_dir / CHATS_DIR)
    if shards:
        return load_shards(shards)
    old = legacy or data_dir / LEGACY_NAME
    return chats_in(old, read_json(old, empty_ok=True)) if old.is_file() else []
