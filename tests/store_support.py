"""What the store's tests share: a fixed moment, reports and alerts to store, and how a refused
start looks (`newswatch run` stops in one line)."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakes import OFFLINE
from tests.conftest import run_newswatch
from watchers.models import Alert, Report

__all__ = ["NOW", "RUN_OFFLINE", "TOKEN", "make_alert", "make_report", "refused"]

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
RUN_OFFLINE = {
    **OFFLINE,
    "TELEGRAM_BOT_TOKEN": TOKEN,
    "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",  # never reached: the store stops it first
}


def make_report(n: int, published: datetime | None = None, domain: str = "") -> Report:
    url = f"https://news.test/{n}"
    return Report(
        id=url,
        url=url,
        canonical_url=url,
        title=f"Report number {n} from the region",
        published=published,
        domain=domain,
    )


def make_alert(chat_id: int, report: Report, summary: Any = "Summary.") -> Alert:
    return Alert(chat_id, report, "Lachin", "Lachin", summary)


def refused(tmp_path: Path, bad: Path, *, sentence: str) -> None:
    """`newswatch run` stops in one line, exit 2, no traceback, and leaves `bad` as it was."""
    before = (bad.read_bytes(), stat.S_IMODE(bad.stat().st_mode))
    result = run_newswatch("run", cwd=tmp_path, env=RUN_OFFLINE)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("newswatch: NEWSWATCH_DATA_DIR"), lines
    assert sentence in lines[0]
    assert "Traceback" not in result.stderr
    assert (bad.read_bytes(), stat.S_IMODE(bad.stat().st_mode)) == before
