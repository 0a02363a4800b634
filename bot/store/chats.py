"""Every chat in memory, written through to its shard by one dedicated writer thread.

What users own (chats, settings, watchlists) is small and changes only when a user acts: it lives
in memory as plain dataclasses, so a read never touches disk, and on disk in 256 TinyDB files
`chats/NN.json` by chat id (`bot.store.shards`), so a write rewrites one small file (atomically)
rather than all chats.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, TinyDB

from bot.store.codec import chat_to_doc
from bot.store.records import Chat, WatchEntry
from bot.store.shards import AtomicJSONStorage, shard_name
from watchers.models import Subscription

__all__ = ["Chats"]

T = TypeVar("T")


class Chats:
    """All chats: reads from memory, writes through to their shard, then to memory.

    The in-memory copy changes only after the shard reached disk, so a failed write changes
    nothing. `version` moves whenever some chat's active watches change, and the tuple of all
    subscriptions is rebuilt only then. Every chat handed out is a copy the caller may change
    freely: the store's own changes only by `save`.
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
        """Moves whenever `subscriptions()` would change: what the matcher cache keys on."""

    def get(self, chat_id: int) -> Chat | None:
        with self._lock:
            chat = self._chats.get(chat_id)
            return chat.copy() if chat else None

    def all(self) -> list[Chat]:
        with self._lock:
            return [chat.copy() for chat in self._chats.values()]

    def target_of(self, chat_id: int) -> int:
        """The chat whose record this chat's commands change: the channel it manages with
        /channel, else itself (read from memory, so cheap enough for every update)."""
        with self._lock:
            chat = self._chats.get(chat_id)
            return chat.manages if chat is not None and chat.manages is not None else chat_id

    def active_watch(self, chat_id: int, keyword: str) -> WatchEntry | None:
        """The chat's watch of the keyword when it still wants its alerts, else None: what the
        sender checks at send time, and where it finds the forum topic to send into."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None or not chat.alerts_on:
                return None
            watch = chat.watch(keyword)
            return WatchEntry(watch.keyword, watch.since, watch.thread_id) if watch else None

    def language_of(self, chat_id: int) -> str | None:
        """The chat's language, whose report of a story leads its alerts (None: none set)."""
        with self._lock:
            chat = self._chats.get(chat_id)
            return chat.language if chat is not None and chat.language else None

    def subscriptions(self) -> tuple[Subscription, ...]:
        """Every keyword of every chat that wants alerts; rebuilt only after a watch changed."""
        with self._lock:
            if self._subscriptions is None:  # joins tuples kept per chat: 50,000 rows in ms
                self._subscriptions = tuple(chain.from_iterable(self._watches.values()))
            return self._subscriptions

    def searched_keywords(self) -> tuple[str, ...]:
        """The distinct keywords search sources ask for: those of every subscribed chat."""
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
            chat_to_doc(kept), Query().chat_id == chat.chat_id
        )
        with self._lock:
            self._changed(chat.chat_id, kept)

    def save_many_now(self, chats: Sequence[Chat]) -> None:
        """Write many new chats with one write per shard (the legacy import, a bench's set-up);
        runs before the event loop. The chats are handed over, not copied: the caller must not
        change them after (a copy of 10,000 chats would leave the originals' memory behind)."""
        by_shard: dict[str, list[Chat]] = {}
        for chat in chats:
            by_shard.setdefault(shard_name(chat.chat_id), []).append(chat)
        for group in by_shard.values():
            table = self._shard(group[0].chat_id).table("chats")
            table.insert_multiple(chat_to_doc(chat) for chat in group)
            with self._lock:
                for chat in group:
                    self._changed(chat.chat_id, chat)

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
        """Write the chat (a copy of it as it is now) in the writer thread."""
        await self._run(self.save_now, chat.copy())

    async def delete(self, chat_id: int) -> bool:
        """Forget the chat; False when there was none."""
        return await self._run(self._delete_now, chat_id)

    def close(self) -> None:
        """Finish the writes queued."""
        self._writer.shutdown(wait=True)
