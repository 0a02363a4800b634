"""`newswatch scan` and the no-token dry run, as a user runs them: a real process, real HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fakes import OFFLINE, ROOT, FeedServer, Item, make_rss
from tests.conftest import FIXTURES, run_newswatch, shared_path


def test_without_a_token_newswatch_shows_a_dry_run_on_the_sample_feed(tmp_path: Path) -> None:
    result = run_newswatch(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "matched Lachin as “Laçın”" in result.stdout
    assert "A humanitarian convoy of twelve trucks reached Laçın on Tuesday" in result.stdout
    assert "matched Karabakh as “Карабаха”" in result.stdout
    assert "film festival" not in result.stdout


def test_scan_json_on_a_file(tmp_path: Path) -> None:
    feed = FIXTURES / "feeds" / "caucasus_multilingual.xml"
    result = run_newswatch(
        "scan", "--keywords", "Karabakh, Lachin", "--feed", str(feed), "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows, result.stderr
    for row in rows:
        assert set(row) == {"title", "url", "source", "published", "matched", "summary", "story"}
        assert row["matched"]["keyword"] in ("Karabakh", "Lachin")
        assert row["matched"]["form"] in row["title"] + row["summary"]
        assert len(row["summary"]) <= 400


def test_scan_over_http_with_stored_watchlists(tmp_path: Path) -> None:
    import asyncio

    from bot.store import Chat, Store, WatchEntry

    async def fill() -> None:
        store = Store.open(tmp_path / "data")  # run_newswatch's NEWSWATCH_DATA_DIR
        await store.chats.save(Chat(chat_id=1, watches=[WatchEntry("Shusha", datetime.now(UTC))]))
        await store.close()

    asyncio.run(fill())
    with FeedServer() as server:
        server.set(
            "/feed.xml",
            make_rss(
                [
                    Item(
                        "Festival returns to Şuşa",
                        "https://wire.test/1",
                        "Musicians gathered in Şuşa on Friday.",
                        datetime.now(UTC),
                    ),
                    Item("Weather", "https://wire.test/2", "Rain.", datetime.now(UTC)),
                ]
            ),
        )
        result = run_newswatch("scan", "--feed", server.url("/feed.xml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Festival returns to Şuşa" in result.stdout
    assert "matched Shusha as “Şuşa”" in result.stdout
    assert "Weather" not in result.stdout
    assert "1 of 2 reports match Shusha" in result.stderr


def test_scan_refuses_bad_keywords_in_one_sentence(tmp_path: Path) -> None:
    result = run_newswatch(
        "scan",
        "--keywords",
        '"unclosed',
        "--feed",
        str(FIXTURES / "feeds" / "atom.xml"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "closing quote" in result.stderr
    assert "Traceback" not in result.stderr


def test_scan_without_keywords_explains(tmp_path: Path) -> None:
    result = run_newswatch("scan", "--feed", str(FIXTURES / "feeds" / "atom.xml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "--keywords" in result.stderr


def test_scan_skips_a_broken_feed_and_reads_the_rest(tmp_path: Path) -> None:
    broken = FIXTURES / "feeds" / "truncated_cdata.xml"
    result = run_newswatch(
        "scan",
        "--keywords",
        "Lachin",
        "--feed",
        str(broken),
        "--feed",
        str(FIXTURES / "feeds" / "rss2_cdata_ttl.xml"),
        cwd=tmp_path,
    )
    assert result.returncode == 0
    assert "skipped a source" in result.stderr
    assert "Lachin" in result.stdout


def test_scan_of_the_seed_report_feed_finds_karabakh(tmp_path: Path) -> None:
    seed = next(shared_path("seed").glob("*.txt"))
    text = seed.read_text(encoding="utf-8")
    item = Item(
        "Azerbaijani soldiers killed in Karabakh clash",
        "https://seed.test/report",
        text,
        datetime.now(UTC),
    )
    feed = tmp_path / "seed.xml"
    feed.write_bytes(make_rss([item]))
    result = run_newswatch(
        "scan", "--keywords", "Khankendi", "--feed", str(feed), "--json", cwd=tmp_path
    )
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["matched"]["form"] in row["summary"]


def test_a_mistyped_feed_path_is_refused_in_one_sentence(tmp_path: Path) -> None:
    result = run_newswatch(
        "scan", "--keywords", "Lachin", "--feed", "wacthers/sample.xml", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "--feed wacthers/sample.xml: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_scan_that_reads_no_source_fails_in_one_line(tmp_path: Path) -> None:
    """Every source failing is not "0 of 0 reports match": exit 1, each failure named."""
    with FeedServer() as server:
        server.set("/down.xml", b"oops", status=500)
        result = run_newswatch(
            "scan",
            "--keywords",
            "Lachin",
            "--feed",
            server.url("/down.xml"),
            "--feed",
            "http://127.0.0.1:9/closed.xml",  # nothing listens on the discard port
            cwd=tmp_path,
            env=OFFLINE,
        )
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert "no source could be read (2 failed)" in result.stderr
    assert "/down.xml" in result.stderr
    assert "HTTP 500" in result.stderr
    assert "127.0.0.1:9/closed.xml" in result.stderr
    assert result.stdout == ""
    assert "reports match" not in result.stderr


def test_a_scan_that_reads_some_sources_warns_and_succeeds(tmp_path: Path) -> None:
    with FeedServer() as server:
        server.set("/down.xml", b"oops", status=500)
        server.set("/up.xml", make_rss([Item("Convoy reaches Lachin", "https://wire.test/9")]))
        result = run_newswatch(
            "scan",
            "--keywords",
            "Lachin",
            "--feed",
            server.url("/down.xml"),
            "--feed",
            server.url("/up.xml"),
            cwd=tmp_path,
            env=OFFLINE,
        )
    assert result.returncode == 0, result.stderr
    assert "skipped a source" in result.stderr
    assert "HTTP 500" in result.stderr
    assert "Convoy reaches Lachin" in result.stdout
    assert "1 of 1 reports match Lachin" in result.stderr


def test_a_scan_with_every_source_switched_off_says_so(tmp_path: Path) -> None:
    result = run_newswatch("scan", "--keywords", "Lachin", cwd=tmp_path, env=OFFLINE)
    assert result.returncode == 2
    assert "No sources to read" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreadable_feed_file_is_a_failed_source(tmp_path: Path) -> None:
    """A file that exists but cannot be read (even by root: Linux refuses reads of a process's
    own memory at address 0) is a failed source, not a traceback."""
    unreadable = Path("/proc/self/mem")
    if not unreadable.is_file():
        pytest.skip("needs Linux's /proc")
    result = run_newswatch("scan", "--keywords", "Lachin", "--feed", str(unreadable), cwd=tmp_path)
    assert result.returncode == 1
    assert "/proc/self/mem: Input/output error" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_during_a_scan_ends_it_in_one_line(tmp_path: Path) -> None:
    """A scan waiting on a slow feed, interrupted: exit 130 and a sentence, not a traceback."""
    with FeedServer() as server:
        server.set("/slow.xml", make_rss([]), delay=30.0)
        slow = server.url("/slow.xml")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "scan", "--keywords", "Lachin", "--feed", slow],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 20
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 130, stderr
    assert stderr.strip() == "newswatch scan: interrupted."


def test_scan_keeps_an_exclusion_for_every_keyword_of_its_place(tmp_path: Path) -> None:
    """As the bot does: `Ղարաբաղ` does not bring back the football `Karabakh -football` leaves
    out."""
    feed = tmp_path / "wire.xml"
    feed.write_bytes(
        make_rss(
            [
                Item("Football: fans celebrate in Karabakh", "https://wire.test/f"),
                Item("Karabakh talks resume", "https://wire.test/t"),
            ]
        )
    )
    result = run_newswatch(
        "scan",
        "--keywords",
        "Karabakh -football, Ղարաբաղ",
        "--feed",
        str(feed),
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["url"] for line in result.stdout.splitlines()] == [
        "https://wire.test/t"
    ]


def test_scan_json_names_one_story_for_the_reports_of_one_event(tmp_path: Path) -> None:
    from tests.test_stories_book import PARK, STRIKE

    feeds = []
    for report in [*STRIKE[1:], PARK]:  # one feed per outlet, each in its language
        feed = tmp_path / f"{report.outlet}.xml"
        body = make_rss([Item(report.title, report.url, report.text, report.published)])
        feed.write_bytes(
            body.replace(b"<channel>", f"<channel><language>{report.language}</language>".encode())
        )
        feeds += ["--feed", str(feed)]
    result = run_newswatch("scan", "--keywords", "Ganja", *feeds, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    story = {row["url"]: row["story"] for row in rows}
    assert story[STRIKE[1].url] == story[STRIKE[2].url] == STRIKE[1].url  # the first one's
    assert story[PARK.url] == PARK.url
