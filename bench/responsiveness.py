"""How the running bot answers while it polls: `python -m bench.responsiveness [--seconds S]`.

Prints figures, asserts nothing. The real `newswatch run` (`python -m bot run`, a subprocess)
talks to a fake Bot API server (`fakes.telegram`) and polls 50 loopback feeds every 2 s
(`bench.loadgen`), on a data directory of 10,000 chats x 5 watches and 100,000 stored reports.
Once every feed has had its first poll, for S seconds (default 40):

- new items keep arriving (a few feeds change every second, some items naming one chat's
  keyword, so cycles fetch, parse, match, summarise and queue alerts all along);
- users send `/latest` and `/list` from random chats, each timed from the moment the update is
  queued on the fake server to the moment the fake received the bot's reply;
- every few seconds an item naming a keyword only chat 0 watches is published, and timed to the
  fake's sendMessage to chat 0, both from publication (raw, which includes the wait for the next
  poll) and from the feed request of the poll that found it;
- the bot's resident memory is read from /proc/<pid>/status (VmRSS, and VmHWM, its peak),
  summed over the bot's process and its CPU worker.

The fakes' own round trip (an empty request on a kept-alive connection to the fake Bot API; a
new connection per request to the HTTP/1.0 feed server) is printed first, so the figures above
can be trusted not to hide Nagle or delayed-ACK stalls of 40 ms or more.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.loadgen import (
    CHATS,
    FEEDS,
    WATCHES,
    FeedProcess,
    FeedSet,
    build_data_dir,
    chat_id,
    family,
    memory_split,
    rss_mb,
    unique_keyword,
)
from fakes import DEFAULT_TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
REPORTS = 100_000
POLL_SECONDS = 2
SUBSCRIBER = 0
"""The benchmark's chat whose own keyword the latency probes name: it alone gets their alerts."""


def _quantiles(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) >= 20 else ms[-1]
    return (
        f"n={len(ms)}  p50 {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"
    )


async def _round_trips(telegram: FakeTelegram, server: FeedProcess) -> None:
    """The fakes' own latency for an empty request, to know what the figures can resolve."""
    server.set("/ping", b"", content_type="text/plain", etag=None)
    took_api, took_feed = [], []
    async with httpx.AsyncClient() as client:
        for _ in range(50):
            began = time.perf_counter()
            await client.post(f"{telegram.base_url}{telegram.token}/getMe")
            took_api.append(time.perf_counter() - began)
            began = time.perf_counter()
            await client.get(server.url("/ping"))
            took_feed.append(time.perf_counter() - began)
    print(f"  empty round trip, fake Bot API (kept-alive):  {_quantiles(took_api)}")
    print(f"  empty round trip, feed server (HTTP/1.0):     {_quantiles(took_feed)}")


def start_bot(folder: Path, telegram: FakeTelegram, **settings: str) -> subprocess.Popen[bytes]:
    """The real `newswatch run` against the fake Bot API, data in `folder`, no built-in or
    search sources, with these extra settings; its log goes to `folder/bot.log`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "NEWSWATCH_DATA_DIR": str(folder / "data"),
        "NEWSWATCH_DEFAULT_SOURCES": "off",
        "NEWSWATCH_GOOGLE_NEWS_URL": "off",
        "NEWSWATCH_GDELT_URL": "off",
        **settings,
    }
    log = (folder / "bot.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop_bot(bot: subprocess.Popen[bytes]) -> int:
    """Stop the bot as Ctrl-C does (SIGKILL if it takes over 30 s) and give its exit code."""
    bot.send_signal(signal.SIGINT)
    try:
        return bot.wait(timeout=30)
    except subprocess.TimeoutExpired:
        bot.kill()
        return bot.wait()


def _split(pid: int) -> str:
    """Resident memory of the bot and of its CPU worker, and their PSS together (the pages
    they share, such as libraries' code, counted once instead of twice)."""
    split = memory_split(pid)
    parts = ", ".join(f"{label} {rss:.0f} MB (PSS {pss:.0f})" for label, rss, pss in split)
    return f"{parts}; PSS together {sum(pss for _, _, pss in split):.0f} MB"


async def _wait(
    condition: Callable[[], object], what: str, timeout: float, bot: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if bot.poll() is not None:
            raise RuntimeError(f"the bot exited ({bot.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class _Run:
    """The three activities of the measured period, and what they found."""

    def __init__(
        self, telegram: FakeTelegram, feeds: FeedProcess, pid: int, seconds: float
    ) -> None:
        self.telegram = telegram
        self.feeds = feeds
        self.pid = pid
        self.until = time.monotonic() + seconds
        self.rng = random.Random(11)
        self.commands: dict[str, list[float]] = {"/latest": [], "/list": []}
        self.raw: list[float] = []
        self.after_poll: list[float] = []
        self.published = 0
        self.peak_rss = 0.0

    async def arrivals(self) -> None:
        """A few feeds change every second; one new item in three names some chat's keyword."""
        while time.monotonic() < self.until:
            for _ in range(3):
                feed = self.rng.randrange(1, FEEDS)
                term = None
                if self.published % 3 == 0:
                    term = unique_keyword(self.rng.randrange(1, CHATS))
                self.feeds.advance(feed, 1, hits=False, term=term)
                self.published += 1
            self.peak_rss = max(self.peak_rss, rss_mb(*family(self.pid))[0])
            await asyncio.sleep(1.0)

    async def users(self) -> None:
        """/latest and /list from random chats, one at a time, each timed to its reply."""
        while time.monotonic() < self.until:
            for text in ("/latest", "/list"):
                chat = chat_id(self.rng.randrange(1, CHATS))
                mark = self.telegram.mark()
                began = time.monotonic()
                self.telegram.push_message(chat, text)
                [reply] = await self.telegram.wait_for_sent(since=mark, chat_id=chat, timeout=30)
                self.commands[text].append(reply.time - began)
                await asyncio.sleep(self.rng.uniform(0.05, 0.25))

    async def probes(self) -> None:
        """An item only the subscriber watches, timed from publication to its alert."""
        path = FeedSet.path(0)
        while time.monotonic() < self.until - 5:
            await asyncio.sleep(self.rng.uniform(0.5, 2.5))  # anywhere in the poll interval
            mark = self.telegram.mark()
            published = time.monotonic()
            self.feeds.advance(0, 1, term=unique_keyword(SUBSCRIBER))
            [alert] = await self.telegram.wait_for_sent(
                since=mark, chat_id=chat_id(SUBSCRIBER), timeout=30
            )
            polled = self.feeds.first_after(path, published)
            self.raw.append(alert.time - published)
            if polled is not None:
                self.after_poll.append(alert.time - polled)


async def measure(folder: Path, seconds: float) -> None:
    """Run the bot on the data directory in `folder` and print the figures."""
    feeds = FeedProcess()
    with FakeTelegram(per_chat_burst=None) as telegram:
        await _round_trips(telegram, feeds)
        bot = start_bot(
            folder,
            telegram,
            NEWSWATCH_FEEDS=",".join(feeds.urls),
            NEWSWATCH_POLL_SECONDS=str(POLL_SECONDS),
        )
        try:
            started = time.monotonic()
            await _wait(lambda: telegram.commands is not None, "the bot to start", 60, bot)
            print(f"  bot up in {time.monotonic() - started:.1f} s; RSS {_split(bot.pid)}")
            everyone = {FeedSet.path(f) for f in range(FEEDS)}
            await _wait(
                lambda: everyone <= feeds.paths(), "first polls", 60, bot
            )  # fmt: skip
            await asyncio.sleep(2 * POLL_SECONDS)  # the first polls store their backlog
            print(f"  first polls done; RSS {_split(bot.pid)}; measuring for "
                  f"{seconds:.0f} s")  # fmt: skip
            run = _Run(telegram, feeds, bot.pid, seconds)
            await asyncio.gather(run.arrivals(), run.users(), run.probes())
            now_mb, peak_mb = rss_mb(*family(bot.pid))
            memory = _split(bot.pid)
        finally:
            code = stop_bot(bot)
            feeds.close()
    log = (folder / "bot.log").read_text(encoding="utf-8", errors="replace")
    polls = log.count("polled ")
    lines = log.splitlines()
    errors = [n for n, line in enumerate(lines) if " ERROR " in line or " CRITICAL " in line]
    print(f"  {run.published} items published, {len(run.raw)} probes; the bot logged {polls} "
          f"polls and {len(errors)} errors; exit code {code}")  # fmt: skip
    if errors:  # the first one in full, up to the next log record
        first = errors[0]
        end = next((n for n in range(first + 1, len(lines)) if lines[n][:2] == "20"), len(lines))
        print("\n".join(f"    {line}" for line in lines[first : min(end, first + 40)]))
    for text, took_list in run.commands.items():
        print(f"  {text:<8} reply:                  {_quantiles(took_list)}   (goal p95 < 50 ms)")
    print(f"  new item -> alert, after its poll:  {_quantiles(run.after_poll)}   (goal < 1 s)")
    print(f"  new item -> alert, raw:             {_quantiles(run.raw)}   (poll every "
          f"{POLL_SECONDS} s)")  # fmt: skip
    print(f"  bot RSS, its processes summed: now {now_mb:.0f} MB, highest sampled "
          f"{run.peak_rss:.0f} MB, VmHWM {peak_mb:.0f} MB")  # fmt: skip
    print(f"  by process: {memory} (goal < 150 MB)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.responsiveness")
    parser.add_argument("--seconds", type=float, default=40.0, help="length of the measured period")
    args = parser.parse_args(argv)
    print(f"newswatch run against a fake Bot API, {FEEDS} loopback feeds polled every "
          f"{POLL_SECONDS} s:")  # fmt: skip
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        took = build_data_dir(folder / "data", REPORTS)
        print(f"  data directory ({CHATS:,} chats x {WATCHES} watches, {REPORTS:,} reports) "
              f"built in {took:.0f} s")  # fmt: skip
        asyncio.run(measure(folder, args.seconds))


if __name__ == "__main__":
    main(sys.argv[1:])
