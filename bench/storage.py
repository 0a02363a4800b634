"""What the store's calls cost with many chats and reports: `python -m bench.storage [N ...]`.

Prints figures, asserts nothing. For each N (default 10,000 and 100,000 stored reports) a fresh
process builds a data directory with 10,000 chats x 5 watches (imported from the previous
single-file format, which also times the migration) and N reports (stored the way polls store
them), then times the calls commands and polls make, and reports the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import Store, WatchEntry
from watchers.models import Alert, PollOutcome, Report, SourceState

CHATS = 10_000
WATCHES = 5
FILL_BATCH = 1_000
POLL = 100
TEXT = "A humanitarian convoy reached Laçın on Tuesday after a week of delays. " * 14  # ~1 kB
KEYWORDS = ["Lachin", "Karabakh", "Shusha", "Yerevan", "Baku", "Tbilisi", "Gyumri", "Ganja"]


def _reports(start: int, count: int, now: datetime) -> list[Report]:
    return [
        Report(
            id=f"https://news.test/{n}",
            url=f"https://news.test/{n}?utm_source=rss",
            canonical_url=f"https://news.test/{n}",
            title=f"Report number {n} from the region",
            text=TEXT,
            published=now - timedelta(seconds=n),
            outlet="Test Wire",
            domain="news.test",
        )
        for n in range(start, start + count)
    ]


def _old_store(path: Path, now: datetime) -> None:
    """The previous version's main file with CHATS chats of WATCHES watches each."""
    chats = {
        str(n + 1): {
            "chat_id": 100_000 + n,
            "kind": "private",
            "title": f"Chat {n}",
            "subscribed": True,
            "paused": False,
            "watches": [
                {
                    "keyword": f"{KEYWORDS[(n + w) % len(KEYWORDS)]} {n % 97}",
                    "since": now.isoformat(),
                }
                for w in range(WATCHES)
            ],
        }
        for n in range(CHATS)
    }
    path.write_text(json.dumps({"chats": chats, "sources": {}}), encoding="utf-8")


async def _times(call: Callable[[], Awaitable[object]], repeat: int) -> list[float]:
    took = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        took.append((time.perf_counter() - began) * 1000)
    return took


def _line(label: str, took: list[float]) -> None:
    p95 = statistics.quantiles(took, n=20)[-1] if len(took) >= 20 else max(took)
    print(f"  {label:<44} p50 {statistics.median(took):8.2f} ms   p95 {p95:8.2f} ms")


async def one(total: int) -> None:
    now = datetime.now(UTC)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        _old_store(data / "newswatch.json", now)
        began = time.perf_counter()
        store = Store.open(data)
        print(f"  import of {CHATS:,} chats from the old file: {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        for start in range(0, total, FILL_BATCH):
            await store.reports.add(_reports(start, FILL_BATCH, now), now)
        size = (data / "newswatch.sqlite3").stat().st_size / 1e6
        print(
            f"  filled {total:,} reports in {time.perf_counter() - began:.1f} s; db {size:.0f} MB"
        )

        ids = [100_000 + n for n in range(CHATS)]
        async def get() -> None:
            store.chats.get(rng.choice(ids))

        _line("chats.get (every command)", await _times(get, 2000))

        async def watch() -> None:
            chat = store.chats.get(rng.choice(ids))
            assert chat is not None
            chat.watches = [*chat.watches[1:], WatchEntry(f"Keyword {rng.random()}", now)]
            await store.chats.save(chat)

        _line("chats.get + chats.save (/watch)", await _times(watch, 300))
        began = time.perf_counter()
        subscriptions = store.chats.subscriptions()
        rebuilt = (time.perf_counter() - began) * 1000
        rows = len(subscriptions)
        print(f"  chats.subscriptions() after a change: {rows:,} rows in {rebuilt:.1f} ms")
        print(f"  chats.subscriptions() unchanged: {_instant(store.chats.subscriptions):.4f} ms")

        fresh = iter(range(total, total + 1_000_000, POLL))

        async def poll_new() -> None:
            reports = _reports(next(fresh), POLL, now)
            new = await store.polls.unseen(reports)
            alerts = [
                Alert(100_000 + n, r, "Lachin", "Lachin", "Summary.")
                for n, r in enumerate(new[:20])
            ]
            await store.polls.record_poll(
                PollOutcome("wire", SourceState(etag="x"), now, reports, new, alerts)
            )

        _line(f"poll outcome, {POLL} new reports + 20 alerts", await _times(poll_new, 30))
        known = _reports(0, POLL, now)
        quiet = PollOutcome("wire", SourceState(etag="y"), now, known, (), ())
        _line(
            "quiet poll (state + last-seen of 100 known)",
            await _times(lambda: store.polls.record_poll(quiet), 30),
        )
        _line(
            "quiet poll, 304 (state only)",
            await _times(
                lambda: store.polls.record_poll(PollOutcome("wire", SourceState(etag="z"), now)), 30
            ),
        )
        mixed = _reports(total - POLL // 2, POLL, now)  # half known, half new
        unseen = await _times(lambda: store.polls.unseen(mixed), 50)
        _line(f"polls.unseen() over {POLL} reports", unseen)
        _line(
            "reports.recent(1000) (/latest)", await _times(lambda: store.reports.recent(1000), 20)
        )

        async def watch_during_polls() -> list[float]:
            polls = asyncio.gather(*(poll_new() for _ in range(20)))
            took = await _times(watch, 100)
            await polls
            return took

        _line("/watch while 20 polls write", await watch_during_polls())
        await store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS {peak:.0f} MB")


def _instant(func: Callable[[], object]) -> float:
    began = time.perf_counter()
    for _ in range(1000):
        func()
    return (time.perf_counter() - began) / 1000 * 1000


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__)
    parser.add_argument(
        "totals", nargs="*", type=int, default=[10_000, 100_000], help="stored reports per run"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one run, in a child
    args = parser.parse_args(argv)
    if args.one is not None:
        asyncio.run(one(args.one))
        return
    for total in args.totals:
        print(f"{CHATS:,} chats x {WATCHES} watches, {total:,} stored reports:", flush=True)
        subprocess.run([sys.executable, "-m", "bench.storage", "--one", str(total)], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
