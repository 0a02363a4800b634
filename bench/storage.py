"""How long the store's calls take with many seen reports: `python -m bench.storage [N]`.

Prints figures, asserts nothing. It fills a temporary database with N reports (default 20,000,
about a month of polling the default sources) the way polls do, in batches, then times the
calls a poll and a user's command make.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage import Chat, Store, WatchEntry, reports_path
from watchers.models import Report

BATCH = 50
TEXT = "A humanitarian convoy reached Laçın on Tuesday after a week of delays. " * 12


def _reports(start: int, count: int, now: datetime) -> list[Report]:
    return [
        Report(
            id=f"https://news.test/{n}",
            url=f"https://news.test/{n}?utm_source=rss",
            canonical_url=f"https://news.test/{n}",
            title=f"Report number {n} from the region",
            text=TEXT,
            published=now - timedelta(minutes=n),
            outlet="Test Wire",
            domain="news.test",
        )
        for n in range(start, start + count)
    ]


async def _timed(label: str, call: object, repeat: int = 5) -> None:
    began = time.perf_counter()
    for _ in range(repeat):
        await call()  # type: ignore[operator]
    print(f"{label:<40} {(time.perf_counter() - began) / repeat * 1000:8.1f} ms")


async def main(total: int) -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "newswatch.json"
        store = Store.open(path)
        await store.save_chat(Chat(chat_id=1, watches=[WatchEntry("Lachin", now)]))
        began = time.perf_counter()
        for start in range(0, total, BATCH):
            await store.add_reports(_reports(start, BATCH, now), now)
        print(
            f"filled {total:,} reports in {time.perf_counter() - began:.1f} s; "
            f"reports file {reports_path(path).stat().st_size / 1e6:.1f} MB, "
            f"main file {path.stat().st_size / 1e3:.1f} kB"
        )
        fresh = iter(range(total, total + 10_000, BATCH))
        await _timed(
            "add_reports (50 new, one poll)",
            lambda: store.add_reports(_reports(next(fresh), BATCH, now), now),
        )
        await _timed(
            "add_reports (50 known, a quiet poll)",
            lambda: store.add_reports(_reports(0, BATCH, now), now),
        )
        await _timed("get_chat (every command)", lambda: store.get_chat(1))
        chat = Chat(chat_id=1, watches=[WatchEntry("Lachin", now)])
        await _timed("save_chat (/watch, /pause ...)", lambda: store.save_chat(chat))
        await _timed("recent_reports(1000) (/latest)", lambda: store.recent_reports(1000))
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
