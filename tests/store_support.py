"""What the store's tests share: a fixed moment, reports and alerts to store, a poll that queues
them, a shard written twice, and how a refused start looks (`newswatch run` stops in one line)."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.store import Chat, Store, WatchEntry
from bot.store.shards import load_shard
from fakes import OFFLINE
from tests.conftest import run_newswatch
from watchers.models import Alert, Overflow, PollOutcome, Report, SourceState

__all__ = [
    "NOW",
    "RUN_OFFLINE",
    "SHARD",
    "TOKEN",
    "make_alert",
    "make_report",
    "queue_order",
    "queued_poll",
    "refused",
    "shard_watchlists",
    "two_saves",
]

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


def queued_poll(
    source: str, chat_id: int, reports: Sequence[Report], overflow: Sequence[Overflow] = ()
) -> PollOutcome:
    """A poll of `source` that stores the reports and alerts the chat to each."""
    alerts = [Alert(chat_id, r, "Lachin", "Lachin", "A convoy.") for r in reports]
    stored = [*reports, *(r for line in overflow for r in line.reports)]
    return PollOutcome(source, SourceState(), datetime.now(UTC), stored, stored, alerts, overflow)


def queue_order(alerts: Sequence[Alert]) -> list[tuple[int, str]]:
    """(chat, the last part of the report's link) of each alert, in the order given."""
    return [(a.chat_id, a.report.id.rsplit("/", 1)[1]) for a in alerts]


SHARD = Path("data") / "chats" / "2a.json"  # chats 42 and 298 (298 % 256 == 42)


async def two_saves(folder: Path) -> Path:
    """A shard written twice: chat 42 now, and the copy before the second save, also chat 42."""
    store = Store.open(folder / "data")
    await store.chats.save(Chat(chat_id=42, watches=[WatchEntry("Lachin", NOW)]))
    await store.chats.save(Chat(chat_id=298, watches=[WatchEntry("Karabakh", NOW)]))
    await store.close()
    return folder / SHARD


def shard_watchlists(path: Path) -> dict[int, list[str]]:
    """Each chat's keywords in the shard file at `path`."""
    return {chat.chat_id: chat.keywords for chat in load_shard(path)}
