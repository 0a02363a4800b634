"""Start-up checks and the lock (`bot.store.checks`): a data directory the store cannot trust is
refused in one sentence before anything is written, and a second bot is kept out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import (
    StorageError,
    Store,
)
from tests.conftest import run_newswatch
from tests.store_support import RUN_OFFLINE, refused


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        ("[1, 2, 3]", "holds a JSON list, not TinyDB tables"),
        ('{"chats": 5}', "has a 'chats' entry that is not a TinyDB table"),
        ("not json at all", "is not valid JSON"),
    ],
)
def test_a_malformed_shard_stops_the_start(tmp_path: Path, content: str, sentence: str) -> None:
    shard = tmp_path / "data" / "chats" / "2a.json"
    shard.parent.mkdir(parents=True)
    shard.write_text(content)
    refused(tmp_path, shard, sentence=f"2a.json {sentence}")


def test_a_corrupt_database_stops_the_start(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newswatch.sqlite3"
    db.parent.mkdir()
    db.write_bytes(b"\x00garbage, not a database" * 100)
    refused(tmp_path, db, sentence="newswatch.sqlite3 is not an SQLite database")


def test_another_programs_database_stops_the_start(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newswatch.sqlite3"
    db.parent.mkdir()
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE invoices (n INTEGER)")
    connection.close()
    refused(tmp_path, db, sentence="it is not a Newswatch database")


@pytest.mark.parametrize("name", ["newswatch.sqlite3", "chats/00.json"])
def test_a_read_only_file_stops_the_start(tmp_path: Path, name: str) -> None:
    """Root may write anyway; the file's mode says the operator does not want it written."""
    path = tmp_path / "data" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".json"):
        path.write_text('{"chats": {}}')
    else:
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection.close()
    path.chmod(0o444)
    refused(tmp_path, path, sentence=f"{name} is read-only")


@pytest.mark.parametrize(
    ("folder", "sentence"),
    [("/proc/newswatch", "cannot write in /proc/newswatch"), ("/proc", "/proc is read-only")],
)
def test_a_data_dir_that_cannot_be_written_stops_the_start(
    tmp_path: Path, folder: str, sentence: str
) -> None:
    result = run_newswatch("run", cwd=tmp_path, env={**RUN_OFFLINE, "NEWSWATCH_DATA_DIR": folder})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert sentence in lines[0], lines
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        ("[]", "01.json holds a JSON list"),
        ('{"chats": {', "01.json is not valid JSON"),
        (
            '{"chats": {"1": {"chat_id": "x"}}}',
            r"01.json holds a chat of the wrong shape \(chat_id is",
        ),
        ('{"chats": {"1": {"chat_id": 1, "watches": [{"keyword": 5}]}}}', "keyword is int"),
    ],
)
def test_open_checks_before_it_writes(tmp_path: Path, content: str, sentence: str) -> None:
    """A refused store leaves no database behind."""
    shard = tmp_path / "chats" / "01.json"
    shard.parent.mkdir()
    shard.write_text(content)
    with pytest.raises(StorageError, match=sentence):
        Store.open(tmp_path)
    assert not (tmp_path / "newswatch.sqlite3").exists()


async def test_a_second_process_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    """Two bots on one folder would each keep their own chats in memory and overwrite each
    other's shards: the second start is refused in one sentence, and freed once the first ends."""
    first = Store.open(tmp_path / "data")
    try:
        second = run_newswatch(
            "run",
            cwd=tmp_path,
            env={
                "NEWSWATCH_DATA_DIR": str(tmp_path / "data"),
                "TELEGRAM_BOT_TOKEN": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789",
            },
        )
        assert second.returncode == 2
        assert "another Newswatch process is using it" in second.stderr
        assert second.stderr.strip().count("\n") == 0
        assert "Traceback" not in second.stderr
    finally:
        await first.close()
    again = Store.open(tmp_path / "data")
    await again.close()
