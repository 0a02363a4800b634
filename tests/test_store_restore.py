"""`newswatch restore-shard` (`bot.store.restore`): puts a refused shard's previous copy back,
only when it is sound and the bot is not running, keeping the refused file."""

from __future__ import annotations

from pathlib import Path

from bot.store import (
    Store,
    load_chats,
)
from tests.conftest import run_newswatch
from tests.store_support import SHARD, shard_watchlists, two_saves


async def test_restore_shard_puts_back_the_previous_copy_and_keeps_the_refused_file(
    tmp_path: Path,
) -> None:
    shard = await two_saves(tmp_path)
    shard.write_bytes(b"")
    result = run_newswatch("restore-shard", str(SHARD), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"newswatch restore-shard: put back {SHARD} from 2a.json.bak")
    assert "with 1 chat (a change made after that is not in it)" in result.stdout
    assert result.stdout.count("\n") == 1
    assert not result.stderr
    [aside] = shard.parent.glob("2a.json.bad-*")
    assert aside.read_bytes() == b""
    assert f"kept as {SHARD}.bad-" in result.stdout
    assert (
        shard_watchlists(shard)
        == shard_watchlists(shard.with_name("2a.json.bak"))
        == {42: ["Lachin"]}
    )
    assert [c.chat_id for c in load_chats(tmp_path / "data")] == [42]
    store = Store.open(tmp_path / "data")  # and the bot starts again
    await store.close()


async def test_restore_shard_puts_back_a_deleted_shard(tmp_path: Path) -> None:
    shard = await two_saves(tmp_path)
    shard.unlink()
    result = run_newswatch("restore-shard", str(SHARD), cwd=tmp_path)
    assert result.returncode == 0
    assert "kept as" not in result.stdout
    assert shard_watchlists(shard) == {42: ["Lachin"]}


async def test_restore_shard_checks_before_it_changes_anything(tmp_path: Path) -> None:
    shard = await two_saves(tmp_path)
    backup = shard.with_name("2a.json.bak")

    def refused(sentence: str, *, args: tuple[str, ...] = (str(SHARD),)) -> None:
        before = {p.name: p.read_bytes() for p in shard.parent.iterdir()}
        result = run_newswatch("restore-shard", *args, cwd=tmp_path)
        assert result.returncode == 2
        assert not result.stdout
        assert result.stderr.count("\n") == 1, result.stderr
        assert sentence in result.stderr, result.stderr
        assert {p.name: p.read_bytes() for p in shard.parent.iterdir()} == before

    refused("2a.json reads fine (2 chats), so it was left as it is")
    refused("is not a chat shard", args=("data/chats/2a.json.bak",))
    refused("is not a chat shard", args=("elsewhere/chats/2a.json",))
    shard.write_bytes(b"{")
    backup.write_bytes(b"")
    refused("2a.json.bak is empty, so it cannot replace data/chats/2a.json; nothing was changed")
    backup.unlink()
    refused(f"no previous copy of {SHARD} was kept")


async def test_restore_shard_refuses_while_the_bot_runs(tmp_path: Path) -> None:
    shard = await two_saves(tmp_path)
    store = Store.open(tmp_path / "data")
    try:
        shard.write_bytes(b"")
        result = run_newswatch("restore-shard", str(SHARD), cwd=tmp_path)
        assert result.returncode == 2
        assert "a running Newswatch holds data/chats/2a.json, so nothing was changed" in (
            result.stderr
        )
        assert shard.read_bytes() == b""
    finally:
        await store.close()
