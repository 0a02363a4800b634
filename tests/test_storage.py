"""The store on memory and on a real file: chats, reports, source state, atomic writes."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import AtomicJSONStorage, Chat, Store, WatchEntry, reports_path
from watchers.fetch import SourceState
from watchers.models import Report

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _report(n: int, published: datetime | None = None) -> Report:
    url = f"https://news.test/{n}"
    return Report(id=url, url=url, canonical_url=url, title=f"Report {n}", published=published)


@pytest.fixture(params=["memory", "file"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store.in_memory() if request.param == "memory" else Store.open(tmp_path / "db.json")
    yield opened
    await opened.close()


async def test_chat_round_trip(store: Store) -> None:
    chat = Chat(chat_id=-1001, kind="supergroup", title="Desk", watches=[WatchEntry("Lachin", NOW)])
    await store.save_chat(chat)
    loaded = await store.get_chat(-1001)
    assert loaded == chat
    loaded.paused = True
    await store.save_chat(loaded)
    assert (await store.get_chat(-1001)).paused is True  # type: ignore[union-attr]
    assert [c.chat_id for c in await store.chats()] == [-1001]
    assert await store.delete_chat(-1001) is True
    assert await store.get_chat(-1001) is None
    assert await store.delete_chat(-1001) is False


async def test_add_reports_returns_only_new_ones(store: Store) -> None:
    first = await store.add_reports([_report(1), _report(2), _report(2)], NOW)
    assert [r.id for r in first] == ["https://news.test/1", "https://news.test/2"]
    second = await store.add_reports([_report(2), _report(3)], NOW + timedelta(minutes=5))
    assert [r.id for r in second] == ["https://news.test/3"]


async def test_the_same_story_through_another_source_is_not_new(store: Store) -> None:
    title = "Convoy reaches Laçın after week of delays"
    outlet = Report(
        id="https://oc-media.org/convoy",
        url="https://oc-media.org/convoy",
        canonical_url="https://oc-media.org/convoy",
        title=title,
        domain="oc-media.org",
    )
    google = Report(
        id="https://news.google.com/rss/articles/CBMi1",
        url="https://news.google.com/rss/articles/CBMi1",
        canonical_url="https://news.google.com/rss/articles/CBMi1",
        title=f"{title} ",
        domain="oc-media.org",
    )
    assert await store.add_reports([outlet], NOW) == [outlet]
    assert await store.add_reports([google], NOW) == []
    other_outlet = Report(
        id="https://jam-news.net/convoy",
        url="https://jam-news.net/convoy",
        canonical_url="https://jam-news.net/convoy",
        title=title,
        domain="jam-news.net",
    )
    assert await store.add_reports([other_outlet], NOW) == [other_outlet]
    short = [
        Report(
            id=f"https://oc-media.org/live/{n}",
            url=f"https://oc-media.org/live/{n}",
            canonical_url=f"https://oc-media.org/live/{n}",
            title="Live updates",
            domain="oc-media.org",
        )
        for n in range(2)
    ]
    assert len(await store.add_reports(short, NOW)) == 2  # too short a headline to tell apart


async def test_recent_reports_newest_first_by_publication_else_first_seen(store: Store) -> None:
    await store.add_reports(
        [_report(1, NOW - timedelta(hours=3)), _report(2, NOW - timedelta(hours=1))], NOW
    )
    await store.add_reports([_report(3)], NOW - timedelta(hours=2))
    recent = await store.recent_reports(10)
    assert [s.report.title for s in recent] == ["Report 2", "Report 3", "Report 1"]
    assert recent[0].report.published == NOW - timedelta(hours=1)
    assert len(await store.recent_reports(2)) == 2


async def test_prune_forgets_reports_no_source_showed_since_the_cutoff(store: Store) -> None:
    await store.add_reports([_report(1), _report(3)], NOW - timedelta(days=40))
    await store.add_reports([_report(2)], NOW)
    await store.add_reports([_report(3)], NOW - timedelta(days=10))  # a feed still carries it
    assert await store.prune_reports(NOW - timedelta(days=30)) == 1
    remaining = {s.report.id for s in await store.recent_reports(10)}
    assert remaining == {"https://news.test/2", "https://news.test/3"}
    assert await store.add_reports([_report(3)], NOW) == []  # still known: never new again


async def test_source_state_round_trip(store: Store) -> None:
    await store.save_source_state("bbc", SourceState(etag='"abc"'))
    later = SourceState(etag='"def"', errors=2, first_failure=NOW, last_error="bbc.co.uk: HTTP 500")
    await store.save_source_state("bbc", later)
    assert await store.source_states() == {"bbc": later}


async def test_file_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "db.json"
    first = Store.open(path)
    await first.save_chat(Chat(chat_id=7, watches=[WatchEntry("Laçın", NOW)]))
    await first.add_reports([_report(1)], NOW)
    await first.close()
    second = Store.open(path)
    assert (await second.get_chat(7)).keywords == ["Laçın"]  # type: ignore[union-attr]
    assert len(await second.add_reports([_report(1)], NOW)) == 0
    await second.close()
    assert "Laçın" in path.read_text(encoding="utf-8")  # stored as UTF-8, not \\u escapes
    # Reports live in their own file beside the main one, so rewriting them never holds up chats.
    assert "news.test/1" in reports_path(path).read_text(encoding="utf-8")
    assert "news.test/1" not in path.read_text(encoding="utf-8")


async def test_a_failed_write_leaves_neither_file_nor_memory_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TinyDB edits the cached data in place before writing; a failed write must not stick."""
    store = Store.open(tmp_path / "db.json")
    await store.save_chat(Chat(chat_id=7))

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        await store.save_chat(Chat(chat_id=7, paused=True))
    monkeypatch.undo()
    chat = await store.get_chat(7)
    assert chat is not None and chat.paused is False
    await store.close()


def test_atomic_write_leaves_old_file_when_the_write_fails(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"chats": {"1": {"chat_id": 1}}})
    before = path.read_bytes()
    with pytest.raises(TypeError):
        storage.write({"chats": {"1": {"bad": object()}}})  # not JSON-serialisable, fails mid-write
    assert path.read_bytes() == before
    assert json.loads(before) == storage.read()
    assert [p.name for p in tmp_path.iterdir()] == ["db.json"]  # no temporary file left behind


def test_atomic_write_replaces_by_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is never written in place: a crash before the rename keeps the old inode intact."""
    path = tmp_path / "db.json"
    storage = AtomicJSONStorage(path)
    storage.write({"t": {"1": {"v": 1}}})
    old_inode = path.stat().st_ino

    def crash(src: str, dst: str) -> None:
        raise KeyboardInterrupt("simulated crash before rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        storage.write({"t": {"1": {"v": 2}}})
    monkeypatch.undo()
    assert storage.read() == {"t": {"1": {"v": 1}}}
    assert path.stat().st_ino == old_inode
    storage.write({"t": {"1": {"v": 3}}})
    assert storage.read() == {"t": {"1": {"v": 3}}}
    assert path.stat().st_ino != old_inode


def test_empty_or_missing_file_reads_as_empty(tmp_path: Path) -> None:
    assert AtomicJSONStorage(tmp_path / "none.json").read() is None
    (tmp_path / "empty.json").write_text("")
    assert AtomicJSONStorage(tmp_path / "empty.json").read() is None
