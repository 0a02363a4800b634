"""The import of the previous single-file store (`bot.store.legacy`): once, in a child process,
streamed, leaving the old files as they were; a file that does not load stops the start."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.store import StorageError, Store, load_chats
from tests.conftest import run_newswatch
from tests.store_support import NOW, RUN_OFFLINE, make_report, refused
from watchers.models import SourceState


def write_old_store(main: Path, chats: int = 3, reports: int = 5, text: str = "Body.") -> None:
    """The previous version's two TinyDB files, in its document shapes."""
    main.parent.mkdir(parents=True, exist_ok=True)
    chat_docs = {
        str(n + 1): {
            "chat_id": -1000 - n,
            "kind": "supergroup",
            "title": f"Desk {n}",
            "subscribed": True,
            "paused": n == 1,
            "watches": [{"keyword": "Laçın", "since": NOW.isoformat()}],
        }
        for n in range(chats)
    }
    state = SourceState(etag='"e"', last_success=NOW).to_dict()
    main.write_text(
        json.dumps({"chats": chat_docs, "sources": {"1": {"name": "wire", "state": state}}}),
        encoding="utf-8",
    )
    report_docs = {}
    for n in range(reports):
        url = f"https://news.test/{n}"
        report_docs[str(n + 1)] = {
            "id": url,
            "url": url,
            "canonical_url": url,
            "title": f"Old report number {n} from the region",
            "text": f"{n} {text}",
            "published": (NOW - timedelta(hours=n)).isoformat(),
            "outlet": "Wire",
            "domain": "news.test",
            "language": "en",
            "country": None,
            "source": "wire",
            "first_seen": NOW.isoformat(),
            "last_seen": NOW.isoformat(),
            "story": "ignored",
        }
    main.with_name(f"{main.stem}.reports{main.suffix}").write_text(
        json.dumps({"reports": report_docs}), encoding="utf-8"
    )


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mode) for p in folder.iterdir() if p.is_file()}


async def test_the_old_store_is_imported_once_and_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    write_old_store(data / "newswatch.json")
    originals = _snapshot(data)
    with caplog.at_level("INFO", logger="bot.store.legacy"):
        store = Store.open(data)
    assert "3 chats, 1 source states, 5 of 5 reports" in caplog.text
    assert [c.chat_id for c in sorted(store.chats.all(), key=lambda c: -c.chat_id)] == [
        -1000,
        -1001,
        -1002,
    ]
    assert (store.chats.get(-1001)).paused is True  # type: ignore[union-attr]
    assert [s.chat_id for s in store.chats.subscriptions()].count(-1001) == 0
    assert (await store.polls.source_state("wire")) == SourceState(etag='"e"', last_success=NOW)
    recent = await store.reports.recent(10)
    assert [s.report.title for s in recent][:2] == [
        "Old report number 0 from the region",
        "Old report number 1 from the region",
    ]
    assert await store.polls.unseen([make_report(1)]) == []  # an imported id is not new
    await store.chats.delete(-1000)
    await store.close()
    assert {k: v for k, v in _snapshot(data).items() if k in originals} == originals
    again = Store.open(data)  # the import is recorded: the deleted chat does not come back
    assert again.chats.get(-1000) is None
    await again.close()


async def test_the_old_path_setting_is_imported_from_its_file(tmp_path: Path) -> None:
    old = tmp_path / "srv" / "bot.json"
    write_old_store(old, chats=2, reports=1)
    store = Store.open(tmp_path / "srv", legacy=old)
    assert len(store.chats.all()) == 2
    assert len(await store.reports.recent(5)) == 1
    await store.close()
    assert load_chats(tmp_path / "srv", old)  # scan reads the shards now


def test_scan_reads_chats_of_an_old_store_not_yet_imported(tmp_path: Path) -> None:
    write_old_store(tmp_path / "newswatch.json", chats=2)
    assert len(load_chats(tmp_path)) == 2
    assert not (tmp_path / "chats").exists()  # read only


def test_a_real_start_imports_the_old_store_named_by_the_old_setting(tmp_path: Path) -> None:
    old = tmp_path / "old" / "db.json"
    write_old_store(old)
    originals = _snapshot(old.parent)
    result = run_newswatch(
        "scan", "--keywords", "Lachin", "--feed", str(tmp_path / "none.xml"), cwd=tmp_path
    )
    assert "Traceback" not in result.stderr
    env = {**RUN_OFFLINE, "NEWSWATCH_DB_PATH": str(old), "NEWSWATCH_DATA_DIR": ""}
    result = run_newswatch("run", cwd=tmp_path, env=env)
    assert result.returncode == 2  # the Bot API is unreachable, after the store opened
    assert "NEWSWATCH_DB_PATH is set" in result.stderr
    assert "imported the previous store" in result.stderr
    assert "3 chats" in result.stderr
    assert len(load_chats(old.parent)) == 3
    assert (old.parent / "newswatch.sqlite3").is_file()
    assert {k: v for k, v in _snapshot(old.parent).items() if k in originals} == originals


@pytest.mark.parametrize(
    ("name", "content", "sentence"),
    [
        ("newswatch.json", '{"chats": [1, 2, 3]}', "has a 'chats' entry that is not a TinyDB"),
        ("newswatch.reports.json", "{truncated", "is not valid JSON"),
    ],
)
def test_an_old_store_that_does_not_load_stops_the_start(
    tmp_path: Path, name: str, content: str, sentence: str
) -> None:
    old = tmp_path / "data" / name
    old.parent.mkdir()
    old.write_text(content)
    refused(tmp_path, old, sentence=f"{name} {sentence}")


# Streamed, in a child process -----------------------------------------------------------------


def test_the_bots_process_never_reads_the_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import runs in a child that exits: this process opens neither old file."""
    data = tmp_path / "data"
    write_old_store(data / "newswatch.json", chats=2, reports=3)
    read_bytes, path_open = Path.read_bytes, Path.open

    def refuse(path: Path) -> None:
        if path.name.startswith("newswatch") and path.suffix == ".json":
            raise AssertionError(f"{path.name} read in the bot's process")

    def guarded_read_bytes(path: Path) -> bytes:
        refuse(path)
        return read_bytes(path)

    def guarded_open(path: Path, *args: Any, **kwargs: Any) -> Any:
        refuse(path)
        return path_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", guarded_read_bytes)
    monkeypatch.setattr(Path, "open", guarded_open)
    store = Store.open(data)
    try:
        assert len(store.chats.all()) == 2
    finally:
        store.shutdown()
    monkeypatch.undo()
    with sqlite3.connect(data / "newswatch.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM reports").fetchone() == (3,)
    db.close()


PEAK = """
import runpy, sys
sys.argv = ["bot.store.importer", *sys.argv[1:]]
try:
    runpy.run_module("bot.store.importer", run_name="__main__")
except SystemExit:
    pass
with open("/proc/self/status") as status:
    print(next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM:")))
"""
"""Runs the import child and prints its peak resident memory in MB (VmHWM: ru_maxrss would
count the parent's, which a child started by fork inherits)."""


def test_the_import_streams_the_reports_file(tmp_path: Path) -> None:
    """The child's peak memory stays far below the reports file's size: read whole, the 61 MB
    of reports took it to 184 MB."""
    data = tmp_path / "data"
    Store.open(data).shutdown()  # the folders and the schema, as the bot makes them first
    write_old_store(data / "newswatch.json", chats=1, reports=40_000, text="Body text. " * 100)
    size = (data / "newswatch.reports.json").stat().st_size / 1e6
    assert size > 40
    result = subprocess.run(
        [sys.executable, "-c", PEAK, str(data), str(data / "newswatch.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    said, peak = result.stdout.strip().splitlines()
    assert json.loads(said)["reports"] == 40_000
    assert int(peak) < 80, f"peak {peak} MB for a {size:.0f} MB file"


def _doc_count(data: Path, table: str) -> int:
    with sqlite3.connect(data / "newswatch.sqlite3") as db:
        (count,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    db.close()
    return int(count)


def test_a_report_of_the_wrong_shape_leaves_nothing_imported(tmp_path: Path) -> None:
    """Found half-way through the stream: no chat, source state or report is kept, and the
    import is not recorded, so the start after a fix imports it all."""
    data = tmp_path / "data"
    write_old_store(data / "newswatch.json", chats=2, reports=2_500)
    reports_file = data / "newswatch.reports.json"
    docs = json.loads(reports_file.read_text(encoding="utf-8"))
    del docs["reports"]["2000"]["id"]
    reports_file.write_text(json.dumps(docs), encoding="utf-8")
    with pytest.raises(StorageError, match=r"newswatch.reports.json holds a report of the wrong"):
        Store.open(data)
    assert load_chats(data) == load_chats(data, data / "newswatch.json")  # still the old file's
    assert not (data / "chats").exists() or not list((data / "chats").glob("*.json"))
    assert _doc_count(data, "reports") == 0
    assert _doc_count(data, "source_state") == 0
    write_old_store(data / "newswatch.json", chats=2, reports=2_500)
    store = Store.open(data)
    assert len(store.chats.all()) == 2
    store.shutdown()
    assert _doc_count(data, "reports") == 2_500


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (b'{"reports": {"1": {"id": "\xff"}}}', "is not UTF-8 text (invalid bytes in UTF8 string)"),
        (b'{"reports": [1, 2]}', "has a 'reports' entry that is not a TinyDB table"),
        (b'{"reports": {"1": 5}}', "has a 'reports' entry that is not a TinyDB table"),
        (b"[1, 2]", "holds a JSON list, not TinyDB tables"),
        (b'{"reports": {}} and more', "is not valid JSON (parse error: trailing garbage)"),
    ],
)
def test_a_reports_file_that_does_not_load_is_named_in_one_sentence(
    tmp_path: Path, content: bytes, sentence: str
) -> None:
    (tmp_path / "newswatch.reports.json").write_bytes(content)
    with pytest.raises(StorageError) as refused_start:
        Store.open(tmp_path)
    said = str(refused_start.value)
    assert said == f"{tmp_path / 'newswatch.reports.json'} {sentence}"


def test_an_empty_reports_file_imports_the_chats(tmp_path: Path) -> None:
    write_old_store(tmp_path / "newswatch.json", chats=2, reports=0)
    (tmp_path / "newswatch.reports.json").write_text(" \n")
    store = Store.open(tmp_path)
    assert len(store.chats.all()) == 2
    store.shutdown()
