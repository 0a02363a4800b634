"""How the running bot answers while it polls: `python -m bench.responsiveness [--seconds S]`
(`--reports N` stores N reports instead of 100,000, for a quicker try).

Prints figures, asserts nothing. The real `newswatch run` (`python -m bot run`, a subprocess,
with the gauges of `bench.botprobe` added) talks to a fake Bot API server
(`fakes.FakeTelegram`) and polls 50 loopback feeds every 5 s (`bench.loadgen`), on a data
directory of 10,000 chats x 5 watches and 100,000 stored reports.

Every report is real text (`bench.newstext`): distinct, about 1,000 characters, real headlines
and sentences from recorded feeds, news stories and pages in a dozen languages, naming a watched
place now and then. The stored reports and the feeds' first items are published over the last
two days, so the 1,000 newest reports `/latest` reads are stored ones and feed items mixed,
and, as the run goes on, the new items too; what they are at the end is printed.

Once every feed has had its first poll, for S seconds (default 40):

- new items keep arriving (three a second, on random feeds), real text like the rest, drawn
  from the sentences that name no popular term (`NewsText(quiet=...)`: a real report names
  "president" or "border" more often than not, and would alert about 1,000 of the 10,000 chats,
  which the sender, at 30 messages a second, could never catch up with), one in three naming one
  chat's keyword in its headline, so polls fetch, parse, match, summarise and queue alerts all
  along;
- three people send commands at once, each from a random chat, as soon as the previous reply
  came and a short pause: `/latest` (the chat's watchlist), `/latest <keywords>` (places and
  news words that chats watch, read from the match index), `/latest <rare>` (a word no chat
  watches and few reports name, matched as text over the 1,000 newest reports) and `/list`. Each
  is timed from the moment the update is queued on the fake server to the moment the fake
  received the reply; how many requests overlapped another is printed;
- every few seconds an item naming a keyword only chat 0 watches is published, and timed to the
  fake's sendMessage of its alert, both from publication (raw, which includes the wait for the
  next poll) and from the feed request of the poll that found it;
- in the bot's process: how long each poll took; the busy cycle, which with the polls spread
  over the interval (as the bot schedules them) is the time in each 5 s round during which at
  least one poll ran; and the loop lag, how late a 1 ms sleeper on the bot's event loop woke
  (max and p99), with the garbage collector's longest pause;
- the bot's resident memory, from /proc/<pid>/status (VmRSS, and VmHWM, its peak) and
  smaps_rollup (PSS), summed over the bot's process and its CPU worker;
- the machine's load (/proc/loadavg, as `uptime` prints it) before and after.

The fakes' own round trip (an empty request on a kept-alive connection to the fake Bot API; a
new connection per request to the HTTP/1.0 feed server) is printed first, so the figures above
can be trusted not to hide Nagle or delayed-ACK stalls of 40 ms or more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

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
    popular_terms,
    rss_mb,
    unique_keyword,
)
from fakes import DEFAULT_TOKEN, FakeTelegram, SentRecord

ROOT = Path(__file__).resolve().parents[1]
REPORTS = 100_000
POLL_SECONDS = 5
USERS = 3
SUBSCRIBER = 0
"""The benchmark's chat whose own keyword the latency probes name: it alone gets their alerts."""
RARE = ("Jermuk", "Meghri", "Gabala", "Sevan", "snowstorm", "readmission", "hydrometeorology")
"""`/latest` keywords that few reports name and no chat watches, so the request matches as text
all the reports it may (`handlers.latest.SCANNED`)."""
ASKED = ("/latest", "/latest <kw>", "/list")
"""The commands people send, equally often; one `/latest <kw>` in four names a RARE word."""
UNWATCHED = "/latest <rare>"
LATEST_REPLY = ("Latest for", "Nothing reported yet", "Nothing to look for", "The watchlist is")
LIST_REPLY = ("Watchlist", "The watchlist is empty", "This chat is not subscribed")


def _quantiles(values: list[float]) -> str:
    if not values:
        return "n=0"
    ms = sorted(v * 1000 for v in values)
    p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) >= 20 else ms[-1]
    return (
        f"n={len(ms)}  p50 {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"
    )


def _load() -> str:
    """The load averages over 1, 5 and 15 minutes, as `uptime` prints them."""
    return ", ".join(Path("/proc/loadavg").read_text().split()[:3])


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


def start_bot(
    folder: Path, telegram: FakeTelegram, probe: Path | None = None, **settings: str
) -> subprocess.Popen[bytes]:
    """The real `newswatch run` against the fake Bot API, data in `folder`, no built-in or
    search sources, with these extra settings; its log goes to `folder/bot.log`. With `probe`,
    it runs under `bench.botprobe`, which writes its poll times and loop lag there at exit."""
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
    runner = ["-m", "bot"] if probe is None else ["-m", "bench.botprobe", str(probe)]
    log = (folder / "bot.log").open("wb")
    return subprocess.Popen(
        [sys.executable, *runner, "run"],
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
    condition: Callable[[], object], what: str, within: float, bot: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if bot.poll() is not None:
            raise RuntimeError(f"the bot exited ({bot.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _starts(prefixes: tuple[str, ...]) -> Callable[[SentRecord], bool]:
    return lambda record: record.text.startswith(prefixes)


class _Run:
    """The activities of the measured period, and what they found."""

    def __init__(
        self, telegram: FakeTelegram, feeds: FeedProcess, pid: int, seconds: float
    ) -> None:
        self.telegram = telegram
        self.feeds = feeds
        self.pid = pid
        self.began = time.monotonic()
        self.until = self.began + seconds
        self.rng = random.Random(11)
        self.terms = popular_terms()
        self.commands: dict[str, list[float]] = {k: [] for k in (*ASKED, UNWATCHED)}
        self.unanswered = 0
        self.in_flight = 0
        self.overlapped = 0
        self.raw: list[float] = []
        self.missed = 0
        self.after_poll: list[float] = []
        self.published = 0
        self.peak_rss = 0.0

    async def arrivals(self) -> None:
        """Three feeds get a new item every second; one new item in three names some chat's
        keyword."""
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

    def _command(self) -> tuple[str, str]:
        """(kind, text) of a command as people send them."""
        kind = self.rng.choice(ASKED)
        if kind != "/latest <kw>":
            return kind, kind
        shape = self.rng.randrange(4)
        if shape == 0:
            return UNWATCHED, f"/latest {self.rng.choice(RARE)}"
        if shape == 1:
            words = self.rng.sample(self.terms, 2)
        else:
            words = [self.rng.choice(self.terms)]
        return kind, f"/latest {', '.join(words)}"

    async def person(self) -> None:
        """One person: a command from a random chat, its reply, a short pause, again."""
        while time.monotonic() < self.until:
            kind, text = self._command()
            chat = chat_id(self.rng.randrange(1, CHATS))
            reply = _starts(LIST_REPLY if kind == "/list" else LATEST_REPLY)
            mark = self.telegram.mark()
            self.overlapped += self.in_flight > 0
            self.in_flight += 1
            began = time.monotonic()
            self.telegram.push_message(chat, text)
            try:
                [answer] = await self.telegram.wait_for_sent(
                    reply, since=mark, chat_id=chat, timeout=30
                )
                self.commands[kind].append(answer.time - began)
            except AssertionError:
                self.unanswered += 1
            finally:
                self.in_flight -= 1
            await asyncio.sleep(self.rng.uniform(0.05, 0.25))

    async def probes(self) -> None:
        """An item only the subscriber watches, timed from publication to its alert."""
        path = FeedSet.path(0)
        keyword = unique_keyword(SUBSCRIBER)
        while time.monotonic() < self.until - 2 * POLL_SECONDS:
            await asyncio.sleep(self.rng.uniform(0.5, POLL_SECONDS + 0.5))  # anywhere in a round
            mark = self.telegram.mark()
            published = time.monotonic()
            self.feeds.advance(0, 1, hits=False, term=keyword)
            try:
                [alert] = await self.telegram.wait_for_sent(
                    lambda r: f"🔎 {keyword}" in r.text,
                    since=mark,
                    chat_id=chat_id(SUBSCRIBER),
                    timeout=30,
                )
            except AssertionError:
                self.missed += 1
                continue
            polled = self.feeds.first_after(path, published)
            self.raw.append(alert.time - published)
            if polled is not None:
                self.after_poll.append(alert.time - polled)


def busy_rounds(polls: list[tuple[float, float]], began: float, ended: float) -> list[float]:
    """For each whole POLL_SECONDS round from `began` to `ended`, the time during which at
    least one of the polls (start, end) was running: the busy cycle of polls spread out."""
    rounds = []
    start = began
    while start + POLL_SECONDS <= ended:
        stop = start + POLL_SECONDS
        spans = sorted((max(a, start), min(b, stop)) for a, b in polls if a < stop and b > start)
        busy, reach = 0.0, start
        for a, b in spans:
            if b > reach:
                busy += b - max(a, reach)
                reach = b
        rounds.append(busy)
        start = stop
    return rounds


def _newest(data: Path) -> str:
    """What the 1,000 newest reports (those /latest reads) are at the end: how many were stored
    before the bot started and how many came from the feeds, and their mean length."""
    try:
        [db] = data.glob("*.sqlite3")
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
            rows = connection.execute(
                "SELECT domain, length(body) FROM reports ORDER BY sort_time DESC LIMIT 1000"
            ).fetchall()
    except (ValueError, sqlite3.Error) as error:
        return f"  (the newest reports could not be read: {error})"
    stored = sum(domain.startswith("archive") for domain, _ in rows)
    mean = statistics.mean(length for _, length in rows) if rows else 0
    return (f"  the {len(rows):,} newest reports at the end: {stored} stored before the start, "
            f"{len(rows) - stored} from the feeds; text {mean:,.0f} characters "
            "on average")  # fmt: skip


def _inside(figures: dict[str, Any], began: float, ended: float) -> str:
    """Poll times, the busy cycle and the loop lag that bench.botprobe recorded, over the
    measured period."""
    polls = [(a, b) for a, b in figures["polls"] if began <= a < ended]
    rounds = busy_rounds([(a, b) for a, b in figures["polls"]], began, ended)
    late = sorted(late for woke, late in figures["lag"] if began <= woke < ended)
    p99 = statistics.quantiles(late, n=100)[-1] if len(late) >= 100 else max(late, default=0.0)
    lines = [
        f"  one poll, in the bot:               {_quantiles([b - a for a, b in polls])}",
        f"  busy cycle (polls running per {POLL_SECONDS} s): "
        f"p50 {statistics.median(rounds) if rounds else 0:.2f} s, "
        f"max {max(rounds, default=0):.2f} s over {len(rounds)} rounds   (goal < 1 s)",
        f"  loop lag, the bot's event loop:     max {max(late, default=0) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms over {len(late)} samples; longest GC pause "
        f"{figures['gc_worst'] * 1000:.1f} ms   (goal: a few ms)",
    ]
    return "\n".join(lines)


async def measure(folder: Path, seconds: float) -> None:
    """Run the bot on the data directory in `folder` and print the figures."""
    feeds = FeedProcess(news=True)
    probe = folder / "probe.json"
    with FakeTelegram(per_chat_burst=None) as telegram:
        await _round_trips(telegram, feeds)
        bot = start_bot(
            folder,
            telegram,
            probe,
            NEWSWATCH_FEEDS=",".join(feeds.urls),
            NEWSWATCH_POLL_SECONDS=str(POLL_SECONDS),
        )
        try:
            started = time.monotonic()
            await _wait(lambda: telegram.commands is not None, "the bot to start", 60, bot)
            print(f"  bot up in {time.monotonic() - started:.1f} s; RSS {_split(bot.pid)}")
            everyone = {FeedSet.path(f) for f in range(FEEDS)}
            await _wait(lambda: everyone <= feeds.paths(), "first polls", 60, bot)
            await asyncio.sleep(2 * POLL_SECONDS)  # the first polls store their backlog
            load_before = _load()
            print(f"  first polls done; RSS {_split(bot.pid)}; load {load_before}; "
                  f"measuring for {seconds:.0f} s")  # fmt: skip
            run = _Run(telegram, feeds, bot.pid, seconds)
            people = [run.person() for _ in range(USERS)]
            await asyncio.gather(run.arrivals(), run.probes(), *people)
            ended = time.monotonic()
            load_after = _load()
            now_mb, peak_mb = rss_mb(*family(bot.pid))
            memory = _split(bot.pid)
        finally:
            code = stop_bot(bot)
            feeds.close()
    log = (folder / "bot.log").read_text(encoding="utf-8", errors="replace")
    polls = log.count("polled ")
    lines = log.splitlines()
    errors = [n for n, line in enumerate(lines) if " ERROR " in line or " CRITICAL " in line]
    print(f"  {run.published} items published, {len(run.raw)} probes ({run.missed} without an "
          f"alert within 30 s), {len(telegram.sent)} messages sent; the bot logged {polls} "
          f"polls and {len(errors)} errors; exit code {code}")  # fmt: skip
    if errors:  # the first one in full, up to the next log record
        first = errors[0]
        end = next((n for n in range(first + 1, len(lines)) if lines[n][:2] == "20"), len(lines))
        print("\n".join(f"    {line}" for line in lines[first : min(end, first + 40)]))
    asked = sum(map(len, run.commands.values())) + run.unanswered
    print(f"  {USERS} people, {asked} commands, {run.overlapped} sent while another was "
          f"unanswered, {run.unanswered} unanswered within 30 s")  # fmt: skip
    for text, took_list in run.commands.items():
        goal = "(bounded: 1,000 reports)" if text == UNWATCHED else "(goal p95 < 50 ms)"
        print(f"  {text:<14} reply:            {_quantiles(took_list)}   {goal}")
    print(f"  new item -> alert, after its poll:  {_quantiles(run.after_poll)}   (goal < 1 s)")
    print(f"  new item -> alert, raw:             {_quantiles(run.raw)}   (poll every "
          f"{POLL_SECONDS} s)")  # fmt: skip
    print(_newest(folder / "data"))
    if probe.is_file():
        print(_inside(json.loads(probe.read_text(encoding="utf-8")), run.began, ended))
    else:
        print("  (the bot wrote no poll times or loop lag: see bot.log)")
    print(f"  bot RSS, its processes summed: now {now_mb:.0f} MB, highest sampled "
          f"{run.peak_rss:.0f} MB, VmHWM {peak_mb:.0f} MB")  # fmt: skip
    print(f"  by process: {memory} (goal < 150 MB)")
    print(f"  load average (1, 5, 15 min): {load_before} before, {load_after} after")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.responsiveness")
    parser.add_argument("--seconds", type=float, default=40.0, help="length of the measured period")
    parser.add_argument("--reports", type=int, default=REPORTS, help="stored reports to start with")
    args = parser.parse_args(argv)
    print(f"newswatch run against a fake Bot API, {FEEDS} loopback feeds polled every "
          f"{POLL_SECONDS} s, {USERS} people sending commands; load {_load()}:")  # fmt: skip
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        took = build_data_dir(folder / "data", args.reports, news=True)
        print(f"  data directory ({CHATS:,} chats x {WATCHES} watches, {args.reports:,} reports "
              f"of real text) built in {took:.0f} s")  # fmt: skip
        asyncio.run(measure(folder, args.seconds))


if __name__ == "__main__":
    main(sys.argv[1:])
