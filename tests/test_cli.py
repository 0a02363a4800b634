"""The `newswatch` command as an operator runs it: a real process, real HTTP, one-sentence exits."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.config import SETTINGS
from fakes import DEFAULT_TOKEN, OFFLINE, ROOT, FakeTelegram
from tests.conftest import run_newswatch
from watchers.feeds.catalog import SAMPLE_FEED

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"


def test_newswatch_run_answers_users_and_stops_cleanly(tmp_path: Path) -> None:
    """The production path: `python -m bot run`, polling a Bot API server, until Ctrl-C."""
    with FakeTelegram() as telegram:
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "NEWSWATCH_DATA_DIR": str(tmp_path / "data"),
            **OFFLINE,
            "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while telegram.commands is None and time.monotonic() < deadline:
                time.sleep(0.05)
            telegram.push_message(1001, "/watch Lachin")
            while not any(r.chat_id == 1001 for r in telegram.sent) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=30)
    assert [r.text for r in telegram.sent if r.chat_id == 1001] == ["Watching:\n• Lachin"]
    assert process.returncode == 0, stderr
    shard = tmp_path / "data" / "chats" / f"{1001 % 256:02x}.json"
    assert "Lachin" in shard.read_text(encoding="utf-8")
    assert DEFAULT_TOKEN not in stderr
    assert "Traceback" not in stderr


def test_cli_stops_with_one_sentence_and_exit_code_2(tmp_path: Path) -> None:
    missing = run_newswatch("run", cwd=tmp_path)
    assert missing.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = run_newswatch(
        "run", cwd=tmp_path, env={"TELEGRAM_BOT_TOKEN": TOKEN, "NEWSWATCH_POLL_SECONDS": "often"}
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0
    assert "NEWSWATCH_POLL_SECONDS" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_cli_help_lists_the_subcommands(tmp_path: Path) -> None:
    result = run_newswatch("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "run" in result.stdout
    assert "scan" in result.stdout


def test_a_token_telegram_rejects_stops_the_bot_without_showing_it(tmp_path: Path) -> None:
    from fakes import FakeTelegram

    with FakeTelegram(token="999999:REAL-token-known-only-to-the-fake-server") as telegram:
        result = run_newswatch(
            "run",
            cwd=tmp_path,
            env={
                **OFFLINE,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
            },
        )
    assert result.returncode == 2
    assert "rejected TELEGRAM_BOT_TOKEN" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_an_unreachable_bot_api_stops_the_bot_in_one_sentence(tmp_path: Path) -> None:
    result = run_newswatch(
        "run",
        cwd=tmp_path,
        env={
            **OFFLINE,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        },
    )
    assert result.returncode == 2
    assert "cannot reach the Telegram Bot API" in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr


def test_a_url_that_is_not_a_bot_api_stops_the_bot_in_one_sentence(tmp_path: Path) -> None:
    from fakes import FeedServer

    with FeedServer() as server:
        server.set(f"/bot{TOKEN}/getMe", b"<html>a web page</html>", content_type="text/html")
        result = run_newswatch(
            "run",
            cwd=tmp_path,
            env={
                **OFFLINE,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": server.url("/bot"),
            },
        )
    assert result.returncode == 2
    assert "TELEGRAM_API_BASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stderr


def test_run_help_lists_every_setting_with_its_default_and_meaning(tmp_path: Path) -> None:
    result = run_newswatch("run", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for setting in SETTINGS:
        assert f"{setting.name} (default: {setting.default or 'none'})" in result.stdout
        assert setting.meaning in result.stdout


def test_a_misspelled_setting_is_named_once_at_start_with_the_nearest_one(tmp_path: Path) -> None:
    """For run and scan alike, from .env and the environment; the value is never shown."""
    (tmp_path / ".env").write_text("NEWSWATCH_POLL_SECOND=30\n", encoding="utf-8")
    typos = {"NEWSWATCH_LLM_APIKEY": "sk-secret-typo"}
    offline_api = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}
    run = run_newswatch("run", cwd=tmp_path, env={**OFFLINE, **offline_api, **typos})
    scan = run_newswatch(
        "scan", "--keywords", "Lachin", "--feed", str(SAMPLE_FEED), cwd=tmp_path, env=typos
    )
    assert run.returncode == 2, scan.stderr
    assert scan.returncode == 0, scan.stderr
    for result in (run, scan):
        output = result.stdout + result.stderr
        poll_typo = "NEWSWATCH_POLL_SECOND is not a Newswatch setting; did you mean "
        assert output.count(poll_typo + "NEWSWATCH_POLL_SECONDS?") == 1
        key_typo = "NEWSWATCH_LLM_APIKEY is not a Newswatch setting; did you mean "
        assert output.count(key_typo + "NEWSWATCH_LLM_API_KEY?") == 1
        assert "sk-secret-typo" not in output
        assert "Traceback" not in output


def test_a_missing_token_names_the_env_file_read_or_the_folder_without_one(tmp_path: Path) -> None:
    folder = tmp_path.resolve()
    absent = run_newswatch("run", cwd=tmp_path)
    assert absent.returncode == 2
    assert f"TELEGRAM_BOT_TOKEN is not set, and there is no .env in {folder};" in absent.stderr
    (tmp_path / ".env").write_text("TELEGRAM_TOKEN=123:secret\n", encoding="utf-8")
    read = run_newswatch("run", cwd=tmp_path)
    assert read.returncode == 2
    assert read.stderr.count("\n") == 1
    assert f"not set in the environment or in {folder / '.env'} " in read.stderr
    assert "(TELEGRAM_TOKEN is set instead: a typo?)" in read.stderr
    assert "secret" not in read.stderr
