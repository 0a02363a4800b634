"""What one poll cycle costs at scale: `python -m bench.cycle [--real-text] [N ...]`.

Prints figures, asserts nothing. For each N (default 10,000 and 100,000 stored reports) one
process builds a data directory (10,000 chats x 5 watches, N reports; see `bench.loadgen`) and
a fresh process then runs cycles on it, so its peak memory is the bot's, not the builder's.
A cycle is what the job queue does when every source falls due at once: 50 feeds of 100 items on a
loopback server (a process of its own), each polled through `Poller.poll` concurrently, as
`bot.jobs` calls it (the store's subscriptions and watch version), delivery excluded. The busy cycle
has 100 new items (2 per feed, one in four naming a term hundreds of chats watch); the quiet cycle
finds every feed unchanged (304 by ETag). Before them the matcher is built once, as the bot does
after a watchlist change, and a first cycle stores (and matches) the feeds' backlog without
alerting.
With --real-text, the stored reports and the feeds' items are real text (see
`bench.loadgen` and `bench.newstext`) instead of short synthetic items.

Stages are timed inside each poll and summed over the 50 polls, which overlap, so the sum may exceed
the cycle; steps in the CPU worker (parse, clean+match) are timed from the poll's side, so they
include the wait behind the other polls' steps in its one queue. Memory is this process's and the
worker's RSS together. Loop lag is how late a 1 ms sleeper woke during the busy cycles: the longest
time something held the event loop.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import watchers.feeds.source
import watchers.matchlane
import watchers.poll
from bench.loadgen import CHATS, FEEDS, ITEMS, WATCHES, FeedProcess, build_data_dir, rss_mb
from bench.looplag import LoopLag
from bot.config import load_settings
from bot.services import build_services
from bot.store import Store
from watchers.alerts import Summariser
from watchers.cpu import on_cpu
from watchers.sources import Source

P = ParamSpec("P")
T = TypeVar("T")

NEW_PER_FEED = 2
REAL_TEXT = "--real-text"
ROUNDS = 5
STAGES = ("fetch", "parse", "unseen", "clean+match", "summarise", "record_poll")


class Stages:
    """Time spent in each stage of the poll, summed over the polls of the current cycle."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def reset(self) -> None:
        self.spent.clear()

    def coro(
        self, stage: str, func: Callable[P, Coroutine[Any, Any, T]]
    ) -> Callable[P, Coroutine[Any, Any, T]]:
        @wraps(func)
        async def timed(*args: P.args, **kwargs: P.kwargs) -> T:
            began = time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                self.spent[stage] += time.perf_counter() - began

        return timed


class _Clock:
    """The poller's clock, moved on by a poll interval between cycles so every source is due."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _instrument(stages: Stages, store: Store, poller: watchers.poll.Poller) -> None:
    """Wrap the poll's steps where they are looked up, so the timings come from real calls.
    Steps in the CPU worker are timed from the poll's side, as sent and answered."""
    lane_stages = {
        "parse_feed": "parse",
        "clean_and_match": "clean+match",
        "install_matcher": "clean+match",
        "match_installed": "clean+match",
        "open_stories": "clean+match",  # the story book, grouped in the same step
        "group_stories": "clean+match",
    }

    async def lane(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        began = time.perf_counter()
        try:
            return await on_cpu(func, *args, **kwargs)
        finally:
            stages.spent[lane_stages[func.__name__]] += time.perf_counter() - began

    feed_source = watchers.feeds.source
    feed_source.fetch = stages.coro("fetch", feed_source.fetch)
    feed_source.on_cpu = lane
    watchers.matchlane.on_cpu = lane
    polls = store.polls
    polls.unseen = stages.coro("unseen", polls.unseen)  # type: ignore[method-assign]
    polls.record_poll = stages.coro("record_poll", polls.record_poll)  # type: ignore[method-assign]
    make = poller.summariser_factory

    def summariser() -> Summariser:
        made = make()
        made.alerts = stages.coro("summarise", made.alerts)  # type: ignore[method-assign]
        return made

    poller.summariser_factory = summariser


async def _cycle(
    poller: watchers.poll.Poller, store: Store, sources: list[Source]
) -> tuple[float, int, int]:
    """Every source polled once, concurrently; (seconds, new reports, alerts queued)."""
    began = time.perf_counter()
    results = await asyncio.gather(
        *(poller.poll(s, store.chats.subscriptions(), store.chats.version) for s in sources)
    )
    took = time.perf_counter() - began
    skipped = sum(r.skipped for r in results)
    errors = [r.error for r in results if r.error]
    if skipped or errors:
        raise RuntimeError(f"{skipped} polls skipped, errors: {errors[:3]}")
    return took, sum(r.new for r in results), sum(len(r.alerts) for r in results)


async def run(data: Path, news: bool) -> dict[str, Any]:
    """Cycles on the data directory `data` (feeds of real text with `news`); figures printed,
    and returned."""
    feeds = FeedProcess(news=news)
    try:
        settings = replace(
            load_settings({}),
            data_dir=data,
            feeds=tuple(feeds.urls),
            default_sources=False,
            google_news_url=None,
            gdelt_url=None,
        )
        began = time.perf_counter()
        store = Store.open(data)
        opened = time.perf_counter() - began
        services = build_services(settings, store)
        worker = await on_cpu(os.getpid)  # started before the first poll, as the bot does
        gc.freeze()  # as the bot does once it has started (bot/app.py)
        poller, sources = services.poller, services.sources
        clock = _Clock(poller.now())
        poller.now = clock
        step = timedelta(seconds=settings.poll_seconds + 1)
        stages = Stages()
        _instrument(stages, store, poller)
        lag = LoopLag()
        try:
            began = time.perf_counter()
            await poller.matchers.match((), store.chats.subscriptions(), store.chats.version)
            built = time.perf_counter() - began
            first, stored, _ = await _cycle(poller, store, sources)
            print(f"  store opened in {opened:.2f} s; first cycle stored {stored:,} reports "
                  f"(matched, not alerted) in {first:.2f} s")  # fmt: skip
            print(f"  matcher over {len(store.chats.subscriptions()):,} watches built in "
                  f"{built:.2f} s (once per watchlist change)")  # fmt: skip
            busy: list[float] = []
            spent: dict[str, list[float]] = defaultdict(list)
            lag.start()
            for _ in range(ROUNDS):
                # In a thread: a blocking round trip to the feed process would hold the loop.
                await asyncio.to_thread(feeds.advance_all, NEW_PER_FEED)
                clock.now += step
                stages.reset()
                took, new, alerts = await _cycle(poller, store, sources)
                busy.append(took)
                for stage in STAGES:
                    spent[stage].append(stages.spent[stage])
                print(f"  busy cycle: {took:.3f} s, {new} new reports, {alerts:,} alerts queued")
            await lag.stop()
            busy_lag, busy_gc = lag.worst, lag.gc_worst
            lag_p99 = statistics.quantiles(lag.samples, n=100)[-1]
            quiet: list[float] = []
            lag.start()
            for _ in range(ROUNDS):
                clock.now += step
                took, new, _ = await _cycle(poller, store, sources)
                quiet.append(took)
                print(f"  quiet cycle (all 304): {took:.3f} s, {new} new reports")
            await lag.stop()
            quiet_lag = lag.worst
        finally:
            await services.http.aclose()
            await store.close()
    finally:
        feeds.close()
    now_mb, peak_mb = rss_mb(os.getpid(), worker)
    figures: dict[str, Any] = {
        "busy": statistics.median(busy),
        "quiet": statistics.median(quiet),
        "stages": {stage: statistics.median(values) for stage, values in spent.items()},
        "busy_lag": busy_lag,
        "busy_lag_p99": lag_p99,
        "busy_gc": busy_gc,
        "quiet_lag": quiet_lag,
        "rss": now_mb,
        "peak_rss": peak_mb,
    }
    print(f"  median busy cycle {figures['busy']:.3f} s (goal < 1 s), "
          f"median quiet cycle {figures['quiet']:.3f} s (goal < 0.2 s)")  # fmt: skip
    split = ", ".join(f"{stage} {figures['stages'][stage]:.3f}" for stage in STAGES)
    print(f"  busy stages, seconds summed over {FEEDS} overlapping polls: {split}")
    print(f"  max loop lag: busy {busy_lag * 1000:.1f} ms (p99 {lag_p99 * 1000:.1f} ms; longest "
          f"GC pause {busy_gc * 1000:.1f} ms), quiet {quiet_lag * 1000:.1f} ms")  # fmt: skip
    print(f"  RSS now {now_mb:.0f} MB, peak {peak_mb:.0f} MB (this process and the CPU worker)")
    return figures


def _child(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "bench.cycle", *args], check=True)


def main(argv: list[str]) -> None:
    news = REAL_TEXT in argv
    argv = [a for a in argv if a != REAL_TEXT]
    if argv[:1] == ["--build"]:
        took = build_data_dir(Path(argv[1]), int(argv[2]), news=news)
        print(f"  data directory built in {took:.0f} s", flush=True)
        return
    if argv[:1] == ["--run"]:
        figures = asyncio.run(run(Path(argv[1]), news))
        Path(argv[2]).write_text(json.dumps(figures), encoding="utf-8")
        return
    totals = [int(a) for a in argv] or [10_000, 100_000]
    print(f"{FEEDS} feeds x {ITEMS} items on 127.0.0.1, {CHATS:,} chats x {WATCHES} watches, "
          f"{FEEDS * NEW_PER_FEED} new items per busy cycle, delivery excluded")  # fmt: skip
    if news:
        print("real text: distinct reports of about 1,000 characters (bench.newstext)")
    flag = [REAL_TEXT] if news else []
    every: dict[int, dict[str, Any]] = {}
    for total in totals:
        print(f"{total:,} stored reports:", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            data, out = Path(folder) / "data", Path(folder) / "figures.json"
            _child("--build", str(data), str(total), *flag)
            _child("--run", str(data), str(out), *flag)
            every[total] = json.loads(out.read_text(encoding="utf-8"))
    if len(every) >= 2:
        low, high = min(every), max(every)
        ratio = every[high]["busy"] / every[low]["busy"]
        quiet = every[high]["quiet"] / every[low]["quiet"]
        print(f"{high:,} vs {low:,} stored reports: busy cycle x{ratio:.2f}, "
              f"quiet cycle x{quiet:.2f} (goal <= 1.2)")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
