"""Chat shards (`bot.store.shards`): written atomically, every write keeping the previous copy
(even across kill -9); refused at start-up when empty, truncated or unreadable."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import random
from pathlib import Path

import pytest

from bot.store import Chat, StorageError, Store
from bot.store.shards import AtomicJSONStorage, load_shard
from tests.conftest import kill_9_while_writing
from tests.store_support import SHARD, refused, shard_watchlists, two_saves


def _restore(folder: Path) -> str:
    """What the refusal says to run (the data folder is given to the bot as an absolute path)."""
    return (
        f"run newswatch restore-shard {folder / SHARD} to put back its previous copy (1 chat, saved"
    )


@pytest.mark.parametrize(
    ("damage", "sentence"),
    [
        (lambda b: b"", "2a.json is empty"),
        (lambda b: b"  \n", "2a.json is empty"),
        (lambda b: b[: len(b) // 2], "2a.json is not valid JSON"),
        (lambda b: b[:-1], "2a.json is not valid JSON"),
        (lambda b: b"\xff" + b, "2a.json is not UTF-8 text (invalid start byte at byte 0)"),
    ],
)
async def test_a_damaged_shard_stops_the_start_and_names_the_command_that_restores_it(
    tmp_path: Path, damage: object, sentence: str
) -> None:
    shard = await two_saves(tmp_path)
    shard.write_bytes(damage(shard.read_bytes()))  # type: ignore[operator]
    refused(tmp_path, shard, sentence=f"{sentence}")
    refused(tmp_path, shard, sentence=_restore(tmp_path))


async def test_a_shard_without_read_permission_stops_the_start(tmp_path: Path) -> None:
    """Judged by its mode: root could read it anyway."""
    shard = await two_saves(tmp_path)
    shard.chmod(0o200)
    refused(tmp_path, shard, sentence="2a.json is not readable; make it readable or move it away.")


async def test_a_shard_that_fails_with_an_io_error_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await two_saves(tmp_path)
    real = Path.read_bytes

    def failing_disk(path: Path) -> bytes:
        if path.name == "2a.json":
            raise OSError(errno.EIO, "Input/output error")
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", failing_disk)
    with pytest.raises(StorageError, match=r"2a.json cannot be read \(Input/output error\); run"):
        Store.open(tmp_path / "data")


async def test_a_shard_deleted_beside_its_previous_copy_stops_the_start(tmp_path: Path) -> None:
    shard = await two_saves(tmp_path)
    shard.unlink()
    backup = shard.with_name("2a.json.bak")
    refused(tmp_path, backup, sentence=f"{SHARD} is missing; {_restore(tmp_path)}")


def test_a_damaged_shard_without_a_good_previous_copy_says_so(tmp_path: Path) -> None:
    shard = tmp_path / SHARD
    shard.parent.mkdir(parents=True)
    shard.write_bytes(b"")
    refused(tmp_path, shard, sentence="is empty; no previous copy was kept (2a.json.bak)")
    shard.with_name("2a.json.bak").write_bytes(b'{"chats": {"1": {"chat_id": 42, "wat')
    refused(tmp_path, shard, sentence="its previous copy is no good either")


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


async def test_every_write_keeps_the_copy_it_replaces(tmp_path: Path) -> None:
    shard = await two_saves(tmp_path)
    backup = shard.with_name("2a.json.bak")
    assert shard_watchlists(shard) == {42: ["Lachin"], 298: ["Karabakh"]}
    assert shard_watchlists(backup) == {42: ["Lachin"]}
    store = Store.open(tmp_path / "data")
    await store.chats.delete(42)
    await store.close()
    assert shard_watchlists(shard) == {298: ["Karabakh"]}
    assert shard_watchlists(backup) == {42: ["Lachin"], 298: ["Karabakh"]}
    assert shard.stat().st_ino != backup.stat().st_ino  # never written in place
    assert sorted(p.name for p in shard.parent.iterdir()) == ["2a.json", "2a.json.bak"]


def test_a_failed_write_leaves_the_shard_and_its_previous_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "2a.json"
    storage = AtomicJSONStorage(path)
    storage.write({"chats": {"1": {"chat_id": 1}}})
    storage.write({"chats": {"1": {"chat_id": 2}}})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = os.replace

    def full_disk(src: str, dst: str) -> None:
        if str(dst) == str(path):  # the previous copy is staged; the new shard cannot land
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        storage.write({"chats": {"1": {"chat_id": 3}}})
    assert path.read_bytes() == before["2a.json"]
    assert path.with_name("2a.json.bak").read_bytes() in (before["2a.json.bak"], before["2a.json"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2a.json", "2a.json.bak"]


def test_without_hard_links_the_previous_copy_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: str, dst: str) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "2a.json"
    storage = AtomicJSONStorage(path)
    storage.write({"chats": {"1": {"chat_id": 1}}})
    first = path.read_bytes()
    storage.write({"chats": {"1": {"chat_id": 2}}})
    assert path.with_name("2a.json.bak").read_bytes() == first


async def test_a_shard_emptied_while_the_bot_runs_is_not_overwritten(tmp_path: Path) -> None:
    """The next save reads the shard to rewrite it: an empty file is refused, not taken for an
    empty shard, so the other chats in it are not lost."""
    shard = await two_saves(tmp_path)
    store = Store.open(tmp_path / "data")
    shard.write_bytes(b"")
    with pytest.raises(StorageError, match=r"2a.json is empty"):
        await store.chats.save(Chat(chat_id=42, paused=True))
    assert shard.read_bytes() == b""
    assert (store.chats.get(42)).paused is False  # type: ignore[union-attr]
    await store.close()


def test_kill_9_mid_write_leaves_the_shard_and_its_previous_copy_whole(tmp_path: Path) -> None:
    """A writer saving one chat as fast as it can, killed at random: the shard and its previous
    copy both load, the copy is the save before (or the same one, killed between the two
    renames), and the store opens again."""
    chance = random.Random(20261207)
    folder = tmp_path / "data"
    shard, backup = folder / "chats" / "2a.json", folder / "chats" / "2a.json.bak"
    last = 0
    for _ in range(6):
        kill_9_while_writing(
            "tests.crash_shard_writer", str(folder), cwd=tmp_path, seconds=chance.uniform(0.02, 0.3)
        )
        [now] = (int(chat.title) for chat in load_shard(shard))
        [before] = (int(chat.title) for chat in load_shard(backup))
        assert before in (now - 1, now)
        assert now > last
        last = now
        store = Store.open(folder)  # removes what the kill left half done
        asyncio.run(store.close())
        assert sorted(p.name for p in shard.parent.iterdir()) == ["2a.json", "2a.json.bak"]
