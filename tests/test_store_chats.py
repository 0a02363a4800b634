"""Chats (`bot.store.chats`): kept in memory and written through to their shard, a failed
write changing neither, subscriptions rebuilt only when a watch changes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bot.store import (
    Chat,
    Store,
    WatchEntry,
    load_chats,
)
from tests.store_support import NOW


async def test_chat_round_trip(store: Store) -> None:
    chat = Chat(chat_id=-1001, kind="supergroup", title="Desk", watches=[WatchEntry("Lachin", NOW)])
    await store.chats.save(chat)
    loaded = store.chats.get(-1001)
    assert loaded == chat
    loaded.paused = True
    assert (store.chats.get(-1001)).paused is False  # type: ignore[union-attr]
    await store.chats.save(loaded)
    assert (store.chats.get(-1001)).paused is True  # type: ignore[union-attr]
    assert [c.chat_id for c in store.chats.all()] == [-1001]
    assert await store.chats.delete(-1001) is True
    assert store.chats.get(-1001) is None
    assert await store.chats.delete(-1001) is False


async def test_chats_survive_reopening_in_their_shard_only(tmp_path: Path) -> None:
    first = Store.open(tmp_path / "data")
    for chat_id in (5, 6, 261, -251):  # 261 % 256 == 5 and -251 % 256 == 5: one shard, 05
        await first.chats.save(Chat(chat_id=chat_id, watches=[WatchEntry("Laçın", NOW)]))
    shards = tmp_path / "data" / "chats"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in shards.glob("*.json")}
    await first.chats.save(Chat(chat_id=517, paused=True))
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in shards.glob("*.json")}
    assert sorted(before) == sorted(after) == ["05.json", "06.json"]
    assert b"517" in after["05.json"][0]
    assert after["06.json"] == before["06.json"]
    await first.close()
    second = Store.open(tmp_path / "data")
    assert sorted(c.chat_id for c in second.chats.all()) == [-251, 5, 6, 261, 517]
    assert (second.chats.get(517)).paused is True  # type: ignore[union-attr]
    assert (second.chats.get(-251)).keywords == ["Laçın"]  # type: ignore[union-attr]
    await second.close()
    assert "Laçın" in (shards / "06.json").read_text(encoding="utf-8")  # UTF-8, not \\u escapes


async def test_subscriptions_are_cached_until_a_watch_changes(store: Store) -> None:
    await store.chats.save(Chat(chat_id=1, watches=[WatchEntry("Lachin", NOW)]))
    version, subscriptions = store.chats.version, store.chats.subscriptions()
    assert [(s.chat_id, s.keyword) for s in subscriptions] == [(1, "Lachin")]
    assert store.chats.subscriptions() is subscriptions  # not rebuilt per poll
    await store.chats.save(Chat(chat_id=1, title="renamed", watches=[WatchEntry("Lachin", NOW)]))
    assert store.chats.version == version
    assert store.chats.subscriptions() is subscriptions
    await store.chats.save(Chat(chat_id=1, paused=True, watches=[WatchEntry("Lachin", NOW)]))
    assert store.chats.version > version
    assert store.chats.subscriptions() == ()
    assert store.chats.active_watch(1, "Lachin") is None
    await store.chats.save(Chat(chat_id=2, watches=[WatchEntry("Shusha", NOW)]))
    assert store.chats.active_watch(2, "Shusha")
    assert store.chats.active_watch(2, "Lachin") is None
    assert [s.keyword for s in store.chats.subscriptions()] == ["Shusha"]


async def test_a_failed_write_leaves_neither_file_nor_memory_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TinyDB edits the cached data in place before writing; a failed write must not stick."""
    store = Store.open(tmp_path / "data")
    await store.chats.save(Chat(chat_id=7, watches=[WatchEntry("Lachin", NOW)]))
    version = store.chats.version

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        await store.chats.save(Chat(chat_id=7, paused=True))
    monkeypatch.undo()
    chat = store.chats.get(7)
    assert chat is not None
    assert chat.paused is False
    assert chat.keywords == ["Lachin"]
    assert store.chats.version == version
    await store.close()
    assert [c.paused for c in load_chats(tmp_path / "data")] == [False]


async def test_a_torn_shard_write_leaves_the_old_shard(tmp_path: Path) -> None:
    """What kill -9 between a shard's temporary file and its rename leaves behind."""
    store = Store.open(tmp_path)
    await store.chats.save(Chat(chat_id=3, title="kept"))
    await store.close()
    leftover = tmp_path / "chats" / ".03.json.abc123.tmp"
    leftover.write_text('{"chats": {"1": {"chat_id": 3, "ti')
    reopened = Store.open(tmp_path)
    assert (reopened.chats.get(3)).title == "kept"  # type: ignore[union-attr]
    assert not leftover.exists()
    await reopened.close()


async def test_concurrent_saves_all_land(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    await asyncio.gather(*(store.chats.save(Chat(chat_id=n)) for n in range(0, 3000, 50)))
    await store.close()
    assert len(load_chats(tmp_path)) == 60


async def test_a_keyword_many_chats_watch_is_held_once_when_loaded(tmp_path: Path) -> None:
    """Each chat's copy of a keyword decoded from its shard was a string of its own: 50,000
    watches of about 30,000 distinct keywords."""
    first = Store.open(tmp_path / "data")
    for chat_id in (5, 6):  # two shards
        await first.chats.save(Chat(chat_id=chat_id, watches=[WatchEntry("Karabakh", NOW)]))
    await first.close()
    again = Store.open(tmp_path / "data")
    try:
        five, six = again.chats.get(5), again.chats.get(6)
        assert five is not None
        assert six is not None
        assert five.watches[0].keyword is six.watches[0].keyword
    finally:
        await again.close()
