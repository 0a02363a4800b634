"""The one module that touches TinyDB: chats with their watchlists, seen reports, source state.

`Store` is a narrow repository: callers get and give plain dataclasses, never TinyDB documents,
so a PostgreSQL implementation could sit beside it. Every call runs in a worker thread behind its
file's lock, because TinyDB is synchronous and not thread-safe, and the event loop must keep
serving Telegram while a large file is written.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, TinyDB
from tinydb.storages import MemoryStorage, Storage

from watchers.fetch import SourceState
from watchers.identity import story_key
from watchers.models import Report

__all__ = ["AtomicJSONStorage", "Chat", "Store", "StoredReport", "WatchEntry", "reports_path"]

T = TypeVar("T")

LAST_SEEN_GRANULARITY = timedelta(days=1)
STORED_TEXT_CHARS = 2000
"""Stored report text serves /latest matching only (alerts are summarised when first seen), so
only its opening is kept, which keeps the file small enough to rewrite on every change."""


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces the file atomically on every write.

    The data goes to a temporary file in the same folder, is flushed and fsynced, then renamed
    over the old file (and the folder fsynced), so a crash at any instant leaves either the old
    or the new file on disk, never a torn one.

    The parsed data is kept in memory after the first read, since this process is the file's
    only writer: re-parsing a large file on every query would stall every command.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, dict[str, Any]] | None = None

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._cache is None:
            try:
                text = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None
            try:
                self._cache = json.loads(text) if text.strip() else None
            except ValueError as error:  # never overwrite what may be an operator's only copy
                raise ValueError(f"{self.path} is not valid JSON ({error})") from None
        return self._cache

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._cache = None  # TinyDB edits the read data in place: trust only what reached disk
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        self._cache = data
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)

    def close(self) -> None:
        """Nothing stays open between writes."""


@dataclass(slots=True)
class WatchEntry:
    """One keyword a chat watches, and since when: only reports first seen later are alerted."""

    keyword: str
    since: datetime


@dataclass(slots=True)
class Chat:
    """A private chat, group or channel that talked to the bot, with its settings."""

    chat_id: int
    kind: str = "private"
    title: str = ""
    subscribed: bool = True
    paused: bool = False
    watches: list[WatchEntry] = field(default_factory=list)

    @property
    def alerts_on(self) -> bool:
        return self.subscribed and not self.paused

    @property
    def keywords(self) -> list[str]:
        return [watch.keyword for watch in self.watches]


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report as stored, with the moment the bot first saw it."""

    report: Report
    first_seen: datetime

    @property
    def when(self) -> datetime:
        """The time to sort and show by: publication when the source gave one."""
        return self.report.published or self.first_seen


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _chat_to_doc(chat: Chat) -> dict[str, Any]:
    return {
        "chat_id": chat.chat_id,
        "kind": chat.kind,
        "title": chat.title,
        "subscribed": chat.subscribed,
        "paused": chat.paused,
        "watches": [{"keyword": w.keyword, "since": _iso(w.since)} for w in chat.watches],
    }


def _chat_from_doc(doc: dict[str, Any]) -> Chat:
    return Chat(
        chat_id=doc["chat_id"],
        kind=doc.get("kind", "private"),
        title=doc.get("title", ""),
        subscribed=doc.get("subscribed", True),
        paused=doc.get("paused", False),
        watches=[
            WatchEntry(w["keyword"], _parse_iso(w["since"]) or datetime.now(UTC))
            for w in doc.get("watches", [])
        ],
    )


def _report_to_doc(report: Report, first_seen: datetime) -> dict[str, Any]:
    return {
        "id": report.id,
        "url": report.url,
        "canonical_url": report.canonical_url,
        "title": report.title,
        "text": report.text[:STORED_TEXT_CHARS],
        "published": _iso(report.published),
        "outlet": report.outlet,
        "domain": report.domain,
        "language": report.language,
        "country": report.country,
        "source": report.source,
        "first_seen": _iso(first_seen),
        "last_seen": _iso(first_seen),
        "story": story_key(report.title, report.domain),
    }


def _report_from_doc(doc: dict[str, Any]) -> StoredReport:
    fields = {k: v for k, v in doc.items() if k not in ("first_seen", "last_seen", "story")}
    fields["published"] = _parse_iso(fields.get("published"))
    return StoredReport(Report(**fields), _parse_iso(doc["first_seen"]) or datetime.now(UTC))


class _Database:
    """One TinyDB database and the lock that serialises the worker threads working on it."""

    def __init__(self, db: TinyDB) -> None:
        self.db = db
        self.lock = threading.Lock()

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        def locked() -> T:
            with self.lock:
                return func(*args)

        return await asyncio.to_thread(locked)


def reports_path(path: Path) -> Path:
    """Where the reports live: beside the main file (newswatch.json -> newswatch.reports.json)."""
    return path.with_name(f"{path.stem}.reports{path.suffix}")


class Store:
    """Repository over TinyDB; all methods are coroutines safe to call concurrently.

    Chats and source state sit in one small database, seen reports in a second one: the
    reports file grows to many megabytes, and rewriting it must not hold up a user's command.
    """

    def __init__(self, main: TinyDB, reports: TinyDB) -> None:
        self._main = _Database(main)
        self._news = _Database(reports)
        self._chats = main.table("chats")
        self._sources = main.table("sources")
        self._reports = reports.table("reports")

    @classmethod
    def open(cls, path: str | Path, *, writable: bool = True) -> Store:
        """A store on JSON files that are replaced atomically on every write.

        The files are read (and, unless only reading, their folder checked for writing) now,
        so an unreadable, corrupt or read-only database stops the bot at start-up (OSError,
        ValueError) rather than at the first command.
        """
        path = Path(path)
        main = TinyDB(path, storage=AtomicJSONStorage)
        reports = TinyDB(reports_path(path), storage=AtomicJSONStorage)
        for db in (main, reports):
            db.tables()
        if writable and not os.access(path.parent, os.W_OK):
            raise PermissionError(f"cannot write in {path.parent}")
        return cls(main, reports)

    @classmethod
    def in_memory(cls) -> Store:
        """A store that keeps nothing after the process ends: for tests and dry runs."""
        return cls(TinyDB(storage=MemoryStorage), TinyDB(storage=MemoryStorage))

    # Chats -------------------------------------------------------------------------------

    async def get_chat(self, chat_id: int) -> Chat | None:
        doc = await self._main.run(self._chats.get, Query().chat_id == chat_id)
        return _chat_from_doc(doc) if doc else None  # type: ignore[arg-type]

    async def save_chat(self, chat: Chat) -> None:
        await self._main.run(
            self._chats.upsert, _chat_to_doc(chat), Query().chat_id == chat.chat_id
        )

    async def delete_chat(self, chat_id: int) -> bool:
        removed = await self._main.run(self._chats.remove, Query().chat_id == chat_id)
        return bool(removed)

    async def chats(self) -> list[Chat]:
        docs = await self._main.run(self._chats.all)
        return [_chat_from_doc(doc) for doc in docs]

    # Reports -----------------------------------------------------------------------------

    async def add_reports(self, reports: Sequence[Report], seen_at: datetime) -> list[Report]:
        """Store the reports never seen before and return just those.

        A report is seen when its id is known, or when the same outlet's same headline is (the
        story came in through another source, under another URL).

        Known reports that a source still carries have their `last_seen` refreshed (daily, to
        spare writes), and pruning goes by it: a report is forgotten only once no source has
        shown it for the whole retention period, so it can never come back as new.
        """

        def add() -> list[Report]:
            docs = self._reports.all()
            last_seen = {doc["id"]: doc.get("last_seen", "") for doc in docs}
            stories = {doc.get("story") for doc in docs}
            known = last_seen.keys()
            stale = (seen_at - LAST_SEEN_GRANULARITY).isoformat()
            refresh = [r.id for r in reports if r.id in known and last_seen[r.id] < stale]
            if refresh:
                self._reports.update({"last_seen": seen_at.isoformat()}, Query().id.one_of(refresh))
            fresh: dict[str, Report] = {}
            for report in reports:
                story = story_key(report.title, report.domain)
                if report.id in known or report.id in fresh or (story and story in stories):
                    continue
                fresh[report.id] = report
                stories.add(story)
            if fresh:
                self._reports.insert_multiple(_report_to_doc(r, seen_at) for r in fresh.values())
            return list(fresh.values())

        return await self._news.run(add)

    async def recent_reports(self, limit: int) -> list[StoredReport]:
        """The `limit` newest reports by publication (else first-seen) time, newest first."""

        def newest() -> list[StoredReport]:
            stored = (_report_from_doc(doc) for doc in self._reports.all())
            return sorted(stored, key=lambda s: s.when, reverse=True)[:limit]

        return await self._news.run(newest)

    async def prune_reports(self, seen_before: datetime) -> int:
        """Forget reports no source has shown since the cut-off, so the file stays bounded."""
        cutoff = seen_before.isoformat()
        removed = await self._news.run(self._reports.remove, Query().last_seen < cutoff)
        return len(removed)

    # Source state ------------------------------------------------------------------------

    async def source_states(self) -> dict[str, SourceState]:
        """What the poller remembers about each source, by source name."""
        docs = await self._main.run(self._sources.all)
        return {doc["name"]: SourceState.from_dict(doc["state"]) for doc in docs}

    async def save_source_state(self, name: str, state: SourceState) -> None:
        await self._main.run(
            self._sources.upsert, {"name": name, "state": state.to_dict()}, Query().name == name
        )

    async def close(self) -> None:
        for database in (self._main, self._news):
            await database.run(database.db.close)
