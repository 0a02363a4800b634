"""The store: chats in TinyDB shards, reports/state/outbox in SQLite, migration, start-up refusals."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.sqlstore import SCHEMA, SqlStore
from bot.storage import AtomicJSONStorage, Chat, StorageError, Store, WatchEntry, load_chats
from fakes import OFFLINE
from tests.conftest import run_newswatch
from watchers.fetch import SourceState
from watchers.models import Alert, Report
from watchers.poll import PollOutcome

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
RUN_OFFLINE = {
    **OFFLINE,
    "TELEGRAM_BOT_TOKEN": TOKEN,
    "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # never reached: the store stops it first
}


def _report(n: int, published: datetime | None = None, domain: str = "") -> Report:
    url = f"https://news.test/{n}"
    return Report(
        id=url,
        url=url,
        canonical_url=url,
        title=f"Report number {n} from the region",
        published=published,
        domain=domain,
    )


def _alert(chat_id: int, report: Report, summary: Any = "Summary.") -> Alert:
    return Alert(chat_id, report, "Lachin", "Lachin", summary)


@pytest.fixture(params=["memory", "dir"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store.in_memory() if request.param == "memory" else Store.open(tmp_path / "data")
    yield opened
    await opened.close()


# Chats -----------------------------------------------------------------------------------


async def test_chat_round_trip(store: Store) -> None:
    chat = Chat(chat_id=-1001, kind="supergroup", title="Desk", watches=[WatchEntry("Lachin", NOW)])
    await store.save_chat(chat)
    loaded = await store.get_chat(-1001)
    assert loaded == chat
    loaded.paused = True  # type: ignore[union-attr]
    assert (await store.get_chat(-1001)).paused is False  # type: ignore[union-attr]
    await store.save_chat(loaded)  # type: ignore[arg-type]
    assert (await store.get_chat(-1001)).paused is True  # type: ignore[union-attr]
    assert [c.chat_id for c in await store.chats()] == [-1001]
    assert await store.delete_chat(-1001) is True
    assert await store.get_chat(-1001) is None
    assert await store.delete_chat(-1001) is False


async def test_chats_survive_reopening_in_their_shard_only(tmp_path: Path) -> None:
    first = Store.open(tmp_path / "data")
    for chat_id in (5, 6, 261, -251):  # 261 % 256 == 5 and -251 % 256 == 5: one shard, 05
        await first.save_chat(Chat(chat_id=chat_id, watches=[WatchEntry("Laçın", NOW)]))
    shards = tmp_path / "data" / "chats"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in shards.glob("*.json")}
    await first.save_chat(Chat(chat_id=517, paused=True))
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in shards.glob("*.json")}
    assert sorted(before) == sorted(after) == ["05.json", "06.json"]
    assert b"517" in after["05.json"][0] and after["06.json"] == before["06.json"]
    await first.close()
    second = Store.open(tmp_path / "data")
    assert sorted(c.chat_id for c in await second.chats()) == [-251, 5, 6, 261, 517]
    assert (await second.get_chat(517)).paused is True  # type: ignore[union-attr]
    assert (await second.get_chat(-251)).keywords == ["Laçın"]  # type: ignore[union-attr]
    await second.close()
    assert "Laçın" in (shards / "06.json").read_text(encoding="utf-8")  # UTF-8, not \\u escapes


async def test_subscriptions_are_cached_until_a_watch_changes(store: Store) -> None:
    await store.save_chat(Chat(chat_id=1, watches=[WatchEntry("Lachin", NOW)]))
    version, subscriptions = store.watch_version, store.subscriptions()
    assert [(s.chat_id, s.keyword) for s in subscriptions] == [(1, "Lachin")]
    assert store.subscriptions() is subscriptions  # not rebuilt per poll
    await store.save_chat(Chat(chat_id=1, title="renamed", watches=[WatchEntry("Lachin", NOW)]))
    assert store.watch_version == version and store.subscriptions() is subscriptions
    await store.save_chat(Chat(chat_id=1, paused=True, watches=[WatchEntry("Lachin", NOW)]))
    assert store.watch_version > version and store.subscriptions() == ()
    assert store.active_watch(1, "Lachin") is None
    await store.save_chat(Chat(chat_id=2, watches=[WatchEntry("Shusha", NOW)]))
    assert store.active_watch(2, "Shusha") and store.active_watch(2, "Lachin") is None
    assert [s.keyword for s in store.subscriptions()] == ["Shusha"]


async def test_a_failed_write_leaves_neither_file_nor_memory_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TinyDB edits the cached data in place before writing; a failed write must not stick."""
    store = Store.open(tmp_path / "data")
    await store.save_chat(Chat(chat_id=7, watches=[WatchEntry("Lachin", NOW)]))
    version = store.watch_version

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        await store.save_chat(Chat(chat_id=7, paused=True))
    monkeypatch.undo()
    chat = await store.get_chat(7)
    assert chat is not None and chat.paused is False and chat.keywords == ["Lachin"]
    assert store.watch_version == version
    await store.close()
    assert [c.paused for c in load_chats(tmp_path / "data")] == [False]


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


# Reports, polls, outbox ------------------------------------------------------------------


async def test_add_reports_returns_only_new_ones(store: Store) -> None:
    first = await store.add_reports([_report(1), _report(2), _report(2)], NOW)
    assert [r.id for r in first] == ["https://news.test/1", "https://news.test/2"]
    second = await store.add_reports([_report(2), _report(3)], NOW + timedelta(minutes=5))
    assert [r.id for r in second] == ["https://news.test/3"]


async def test_the_same_story_through_another_source_is_not_new(store: Store) -> None:
    title = "Convoy reaches Laçın after week of delays"

    def report(url: str, domain: str, headline: str = title) -> Report:
        return Report(id=url, url=url, canonical_url=url, title=headline, domain=domain)

    outlet = report("https://oc-media.org/convoy", "oc-media.org")
    google = report("https://news.google.com/rss/articles/CBMi1", "oc-media.org", f"{title} ")
    assert await store.add_reports([outlet], NOW) == [outlet]
    assert await store.unseen([google]) == []
    assert await store.add_reports([google], NOW) == []
    other_outlet = report("https://jam-news.net/convoy", "jam-news.net")
    assert await store.add_reports([other_outlet], NOW) == [other_outlet]
    short = [
        report(f"https://oc-media.org/live/{n}", "oc-media.org", "Live updates") for n in (1, 2)
    ]
    assert len(await store.add_reports(short, NOW)) == 2  # too short a headline to tell apart


async def test_recent_reports_newest_first_by_publication_else_first_seen(store: Store) -> None:
    await store.add_reports(
        [_report(1, NOW - timedelta(hours=3)), _report(2, NOW - timedelta(hours=1))], NOW
    )
    await store.add_reports([_report(3)], NOW - timedelta(hours=2))
    recent = await store.recent_reports(10)
    assert [s.report.id[-1] for s in recent] == ["2", "3", "1"]
    assert recent[0].report.published == NOW - timedelta(hours=1)
    assert recent[1].first_seen == NOW - timedelta(hours=2)
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
    assert await store.source_state("bbc") == later
    assert await store.source_state("other") is None


async def test_one_poll_is_one_transaction(store: Store) -> None:
    """New reports, last-seen refreshes, source state and outbox entries: all or nothing."""
    old = _report(1)
    await store.add_reports([old], NOW - timedelta(days=40))
    new = _report(2)
    broken = PollOutcome(
        "wire",
        SourceState(etag='"x"'),
        NOW,
        seen=[old, new],
        new=[new],
        alerts=[_alert(5, new, summary=None)],  # violates NOT NULL after everything else ran
    )
    with pytest.raises(sqlite3.IntegrityError):
        await store.record_poll(broken)
    assert await store.source_state("wire") is None
    assert await store.unseen([new]) == [new]
    assert await store.prune_reports(NOW - timedelta(days=30)) == 1  # last_seen not refreshed
    await store.add_reports([old], NOW - timedelta(days=40))
    good = PollOutcome("wire", SourceState(etag='"x"'), NOW, [old, new], [new], [_alert(5, new)])
    assert await store.record_poll(good) == [_alert(5, new)]
    assert await store.source_state("wire") == SourceState(etag='"x"')
    assert await store.prune_reports(NOW - timedelta(days=30)) == 0  # refreshed by the poll
    assert await store.pending_alerts(10) == [_alert(5, new)]


async def test_a_story_another_poll_stored_first_is_not_queued_twice(store: Store) -> None:
    """Two sources found the same story at once; both saw it unseen, only one may alert it."""
    outlet = _report(1, domain="oc-media.org")
    google = Report(
        id="https://news.google.com/a/1",
        url="https://news.google.com/a/1",
        canonical_url="https://news.google.com/a/1",
        title=outlet.title,
        domain="oc-media.org",
    )
    assert await store.unseen([outlet]) == [outlet] and await store.unseen([google]) == [google]
    state = SourceState()
    first = await store.record_poll(
        PollOutcome("feed", state, NOW, [outlet], [outlet], [_alert(5, outlet)])
    )
    second = await store.record_poll(
        PollOutcome("google", state, NOW, [google], [google], [_alert(5, google)])
    )
    assert first == [_alert(5, outlet)] and second == []
    assert await store.pending_alerts(10) == [_alert(5, outlet)]
    assert await store.source_state("google") == state  # the rest of the poll still counts


async def test_outbox_entries_leave_the_queue_when_sent_or_dropped(store: Store) -> None:
    reports = [_report(n) for n in range(3)]
    alerts = [_alert(5, r) for r in reports]
    queued = await store.record_poll(PollOutcome("w", SourceState(), NOW, reports, reports, alerts))
    assert queued == alerts
    await store.finish_alerts(
        [(5, reports[0].id, "sent", None), (5, reports[1].id, "dropped", "no longer watched")]
    )
    assert await store.pending_alerts(10) == alerts[2:]


async def test_pruning_a_report_removes_its_outbox_entry(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data")
    report = _report(1)
    await store.record_poll(PollOutcome("w", SourceState(), NOW, [report], [report], []))
    await store.record_poll(
        PollOutcome("w", SourceState(), NOW, [_report(2)], [_report(2)], [_alert(5, _report(2))])
    )
    assert await store.prune_reports(NOW + timedelta(days=1)) == 2
    await store.close()
    with sqlite3.connect(tmp_path / "data" / "newswatch.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == (0,)


# Migration from the single-file store ------------------------------------------------------


def write_old_store(main: Path, chats: int = 3, reports: int = 5) -> None:
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
            "text": "Body.",
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
    with caplog.at_level("INFO", logger="bot.storage"):
        store = Store.open(data)
    assert "3 chats, 1 source states, 5 of 5 reports" in caplog.text
    assert [c.chat_id for c in sorted(await store.chats(), key=lambda c: -c.chat_id)] == [
        -1000,
        -1001,
        -1002,
    ]
    assert (await store.get_chat(-1001)).paused is True  # type: ignore[union-attr]
    assert [s.chat_id for s in store.subscriptions()].count(-1001) == 0
    assert (await store.source_state("wire")) == SourceState(etag='"e"', last_success=NOW)
    recent = await store.recent_reports(10)
    assert [s.report.title for s in recent][:2] == [
        "Old report number 0 from the region",
        "Old report number 1 from the region",
    ]
    assert await store.unseen([_report(1)]) == []  # an imported id is not new
    await store.delete_chat(-1000)
    await store.close()
    assert {k: v for k, v in _snapshot(data).items() if k in originals} == originals
    again = Store.open(data)  # the import is recorded: the deleted chat does not come back
    assert await again.get_chat(-1000) is None
    await again.close()


async def test_the_old_path_setting_is_imported_from_its_file(tmp_path: Path) -> None:
    old = tmp_path / "srv" / "bot.json"
    write_old_store(old, chats=2, reports=1)
    store = Store.open(tmp_path / "srv", legacy=old)
    assert len(await store.chats()) == 2 and len(await store.recent_reports(5)) == 1
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
    assert "imported the previous store" in result.stderr and "3 chats" in result.stderr
    assert len(load_chats(old.parent)) == 3 and (old.parent / "newswatch.sqlite3").is_file()
    assert {k: v for k, v in _snapshot(old.parent).items() if k in originals} == originals


# Start-up refusals (issue 6 item 4) --------------------------------------------------------


def _refused(tmp_path: Path, bad: Path, *, sentence: str) -> None:
    """`newswatch run` stops in one line, exit 2, no traceback, and leaves `bad` as it was."""
    before = (bad.read_bytes(), stat.S_IMODE(bad.stat().st_mode))
    result = run_newswatch("run", cwd=tmp_path, env=RUN_OFFLINE)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newswatch: NEWSWATCH_DATA_DIR"), lines
    assert sentence in lines[0] and "Traceback" not in result.stderr
    assert (bad.read_bytes(), stat.S_IMODE(bad.stat().st_mode)) == before


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
    _refused(tmp_path, shard, sentence=f"2a.json {sentence}")


def test_a_corrupt_database_stops_the_start(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newswatch.sqlite3"
    db.parent.mkdir()
    db.write_bytes(b"\x00garbage, not a database" * 100)
    _refused(tmp_path, db, sentence="newswatch.sqlite3 is not an SQLite database")


def test_another_programs_database_stops_the_start(tmp_path: Path) -> None:
    db = tmp_path / "data" / "newswatch.sqlite3"
    db.parent.mkdir()
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE invoices (n INTEGER)")
    connection.close()
    _refused(tmp_path, db, sentence="it is not a Newswatch database")


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
    _refused(tmp_path, path, sentence=f"{name} is read-only")


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
    _refused(tmp_path, old, sentence=f"{name} {sentence}")


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
    assert len(lines) == 1 and sentence in lines[0], lines
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


async def test_a_torn_shard_write_leaves_the_old_shard(tmp_path: Path) -> None:
    """What kill -9 between a shard's temporary file and its rename leaves behind."""
    store = Store.open(tmp_path)
    await store.save_chat(Chat(chat_id=3, title="kept"))
    await store.close()
    leftover = tmp_path / "chats" / ".03.json.abc123.tmp"
    leftover.write_text('{"chats": {"1": {"chat_id": 3, "ti')
    reopened = Store.open(tmp_path)
    assert (await reopened.get_chat(3)).title == "kept"  # type: ignore[union-attr]
    assert not leftover.exists()
    await reopened.close()


async def test_concurrent_saves_all_land(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    await asyncio.gather(*(store.save_chat(Chat(chat_id=n)) for n in range(0, 3000, 50)))
    await store.close()
    assert len(load_chats(tmp_path)) == 60


# Crash safety --------------------------------------------------------------------------------


def test_kill_9_at_random_moments_leaves_a_store_that_loads_whole(tmp_path: Path) -> None:
    """A writer of chats and poll outcomes killed at random: both stores load, no shard is torn,
    every outbox entry has its report, and each poll is all there or not at all."""
    from tests.conftest import kill_9_while_writing
    from tests.crash_writer import REPORTS_PER_POLL

    chance = random.Random(20261125)
    folder = tmp_path / "data"
    for trial in range(4):
        kill_9_while_writing(
            "tests.crash_writer", str(folder), f"t{trial}", cwd=tmp_path,
            seconds=chance.uniform(0.05, 0.6),
        )  # fmt: skip

        chats = load_chats(folder)  # every shard parses: none torn
        assert chats and all(c.title.startswith("t") for c in chats)
        with sqlite3.connect(folder / "newswatch.sqlite3") as db:
            orphans = db.execute(
                "SELECT count(*) FROM outbox WHERE report_id NOT IN (SELECT id FROM reports)"
            ).fetchone()
            [(state,)] = db.execute("SELECT state FROM source_state WHERE name = 'crash'")
            last = int(json.loads(state)["etag"].split("-")[1])
            run = f"https://crash.test/t{trial}-"
            stored = {
                row[0] for row in db.execute("SELECT id FROM reports WHERE id LIKE ?", (f"{run}%",))
            }
        db.close()
        assert orphans == (0,)
        expected = {f"{run}{p}-{n}" for p in range(last + 1) for n in range(REPORTS_PER_POLL)}
        assert stored == expected  # the last recorded poll is whole, the next one absent
        store = Store.open(folder)  # and the store itself opens
        asyncio.run(store.close())


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
        assert second.stderr.strip().count("\n") == 0 and "Traceback" not in second.stderr
    finally:
        await first.close()
    again = Store.open(tmp_path / "data")
    await again.close()


async def test_an_outbox_from_before_alert_contexts_gains_the_column(tmp_path: Path) -> None:
    """A database written before alerts carried their context ("Ganja" with "Azerbaijan") opens,
    and gains the column, with no context for what was queued."""
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    for statement in SCHEMA:
        old.execute(statement.replace("        context TEXT NOT NULL DEFAULT '',\n", ""))
    old.execute("INSERT INTO meta (key, value) VALUES ('schema', '1')")
    old.commit()
    assert "context" not in {row[1] for row in old.execute("PRAGMA table_info(outbox)")}
    old.close()
    store = SqlStore(path)
    await store.close()
    again = sqlite3.connect(path)
    assert "context" in {row[1] for row in again.execute("PRAGMA table_info(outbox)")}
    again.close()
