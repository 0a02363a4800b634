"""Memory of an upgrade from the previous single-file store: `python -m bench.upgrade`.

Prints figures, asserts nothing. A script writes the previous version's two TinyDB files, as it
wrote them (UTF-8 JSON): `newswatch.json` with 10,000 chats x 5 watches and
`newswatch.reports.json` with 100,000 reports. Their text is real and distinct: each report joins
four real published sentences of one language (`--sentences`; ten languages in Latin, Cyrillic,
Armenian and Arabic scripts) from the labelled quotes of `bench/data/realtext*.toml`, under a
headline from the first of them, at the quote's own outlet; no two reports have the same
sentences in the same order. That file is about 133 MB (the goal names 112 MB: the larger file
is the harder case); `--sentences 8` gives texts of about 1,000 characters and 202 MB. Then the
real `newswatch run` (`python -m bot run`, a subprocess, against a fake Bot API) starts on that
data directory and imports it, as an upgraded bot does.

Printed: the time until the bot answers, its process's high-water mark (VmHWM, in
/proc/<pid>/status: the most it was resident, import included), and, after S seconds (default
30) of load without a restart (50 loopback feeds polled every 5 s, a few new items a second, a
`/latest` or `/list` every half second), the resident and proportional memory (PSS, from
/proc/<pid>/smaps_rollup) of the bot and of its CPU worker, with the machine's load average.
Goals: VmHWM < 250 MB; PSS of both together < 150 MB. The same is then printed for a restart on
the data directory the upgrade made (nothing left to import), under the same load: what the
bot takes anyway, against which the upgrade's cost shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench.loadgen import CHATS, FEEDS, WATCHES, FeedProcess, chat_id, memory_split, old_chats
from bench.realtext import FIXTURE, load_cases
from bench.responsiveness import start_bot, stop_bot
from fakes import FakeTelegram

__all__ = ["main", "write_old_store"]

REPORTS = 100_000
POLL_SECONDS = 5
SENTENCES = 4
"""Real sentences a report's text joins by default: about 480 characters."""
LANGUAGE_QUOTES = 20
"""A language takes part when it has this many quotes: enough for distinct texts."""
HELD_OUT = FIXTURE.with_name("realtext_heldout.toml")


def _quotes() -> dict[str, list[tuple[str, str]]]:
    """Every distinct real quote with its URL, by language."""
    by_language: dict[str, dict[str, str]] = {}
    for path in (FIXTURE, HELD_OUT):
        for case in load_cases(path):
            by_language.setdefault(case.lang, {})[case.quote] = case.url
    return {
        lang: list(quotes.items())
        for lang, quotes in by_language.items()
        if len(quotes) >= LANGUAGE_QUOTES
    }


def _headline(quote: str) -> str:
    """The first words of the report's first sentence, as a headline."""
    words = quote.split()
    return " ".join(words[:12]).rstrip(",;:") + ("…" if len(words) > 12 else "")


def _report_docs(count: int, sentences: int, now: datetime) -> dict[str, dict[str, object]]:
    """`count` report documents in the previous store's shape, each text a distinct set of real
    sentences (no two reports share their sentences in the same order)."""
    rng = random.Random(17)
    quotes = _quotes()
    languages = sorted(quotes)
    used: set[tuple[str, ...]] = set()
    headlines: set[tuple[str, str]] = set()
    docs: dict[str, dict[str, object]] = {}
    for n in range(count):
        lang = languages[n % len(languages)]
        while True:
            picked = rng.sample(quotes[lang], sentences)
            key = tuple(quote for quote, _ in picked)
            if key not in used:
                used.add(key)
                break
        first_url = picked[0][1]
        domain = urlsplit(first_url).hostname or "news.test"
        title = _headline(picked[0][0])
        if (domain, title) in headlines:  # the same lead at the same outlet: another story
            title = f"{title} ({n})"
        headlines.add((domain, title))
        url = f"https://{domain}/{n}-{re.sub(r'[^a-z0-9]+', '-', title.lower())[:40]}"
        published = (now - timedelta(seconds=15 * n)).isoformat()  # all within retention
        docs[str(n + 1)] = {
            "id": url,
            "url": url,
            "canonical_url": url,
            "title": title,
            "text": " ".join(quote for quote, _ in picked),
            "published": published,
            "outlet": domain,
            "domain": domain,
            "language": lang,
            "country": None,
            "source": domain,
            "first_seen": published,
            "last_seen": published,
            "story": None,
        }
    return docs


def write_old_store(data: Path, reports: int, sentences: int = SENTENCES) -> tuple[Path, Path]:
    """The previous version's main file and reports file in `data`, written as it wrote them
    (UTF-8, `ensure_ascii=False`); returns both paths."""
    now = datetime.now(UTC)
    data.mkdir(parents=True, exist_ok=True)
    main = data / "newswatch.json"
    chats = {"chats": old_chats(now), "sources": {}}
    main.write_text(json.dumps(chats, ensure_ascii=False), encoding="utf-8")
    old = data / "newswatch.reports.json"
    docs = {"reports": _report_docs(reports, sentences, now)}
    old.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    return main, old


def _high_water_mb(pid: int) -> float:
    """VmHWM of one process: the most it was ever resident."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


async def _wait_up(telegram: FakeTelegram, bot: subprocess.Popen[bytes], limit: float) -> None:
    """Until the bot has published its commands: its store is open, the import done."""
    deadline = time.monotonic() + limit
    while telegram.commands is None:
        if bot.poll() is not None:
            raise RuntimeError(f"the bot exited ({bot.returncode}) during its start")
        if time.monotonic() > deadline:
            raise RuntimeError("the bot did not start in time")
        await asyncio.sleep(0.05)


async def _under_load(
    telegram: FakeTelegram, feeds: FeedProcess, seconds: float, seed: int
) -> int:
    """New items on a few feeds every second, a command every half second; replies counted."""
    rng = random.Random(seed)
    until = time.monotonic() + seconds
    replies = 0
    while time.monotonic() < until:
        for _ in range(3):
            feeds.advance(rng.randrange(FEEDS), 1, hits=rng.random() < 0.3)
        for text in ("/latest", "/list"):
            chat = chat_id(rng.randrange(CHATS))
            mark = telegram.mark()
            telegram.push_message(chat, text)
            await telegram.wait_for_sent(since=mark, chat_id=chat, timeout=30)
            replies += 1
            await asyncio.sleep(0.5)
    return replies


async def _run_bot(
    folder: Path, feeds: FeedProcess, seconds: float, what: str, seed: int
) -> list[tuple[str, float, float]]:
    """Start the bot on `folder/data`, load it for `seconds`, print its figures, stop it; the
    memory split (label, RSS MB, PSS MB) of the bot and its worker at the end."""
    with FakeTelegram(per_chat_burst=None) as telegram:
        began = time.monotonic()
        bot = start_bot(
            folder,
            telegram,
            NEWSWATCH_FEEDS=",".join(feeds.urls),
            NEWSWATCH_POLL_SECONDS=str(POLL_SECONDS),
        )
        try:
            await _wait_up(telegram, bot, 600)
            up = time.monotonic() - began
            high = _high_water_mb(bot.pid)
            print(f"  {what}: bot up in {up:.1f} s, its high-water mark (VmHWM) {high:.0f} MB; "
                  f"{_load()}")  # fmt: skip
            replies = await _under_load(telegram, feeds, seconds, seed)
            split = memory_split(bot.pid)
            high = _high_water_mb(bot.pid)
        finally:
            code = stop_bot(bot)
    parts = ", ".join(f"{label} RSS {rss:.0f} MB, PSS {pss:.0f} MB" for label, rss, pss in split)
    together = sum(pss for _, _, pss in split)
    print(f"    after {seconds:.0f} s under load ({replies} commands answered): {parts}; "
          f"PSS together {together:.0f} MB; VmHWM {high:.0f} MB; exit code {code}; "
          f"{_load()}")  # fmt: skip
    return split


async def measure(folder: Path, seconds: float) -> None:
    """The upgrade (the bot's first start, on the old files), then a restart on what it made.
    The feeds go on from where they were, so the restart polls new items too."""
    feeds = FeedProcess()
    try:
        upgraded = await _run_bot(folder, feeds, seconds, "upgrade (imports the old store)", 5)
        with sqlite3.connect(folder / "data" / "newswatch.sqlite3") as db:
            (stored,) = db.execute("SELECT count(*) FROM reports").fetchone()
        db.close()
        print(f"    {stored:,} reports in the new store")
        restarted = await _run_bot(folder, feeds, seconds, "restart (nothing to import)", 6)
    finally:
        feeds.close()
    after, again = (sum(pss for _, _, pss in split) for split in (upgraded, restarted))
    print(f"  PSS of bot and worker after the upgrade, without a restart: {after:.0f} MB "
          f"(goal < 150 MB); after a restart: {again:.0f} MB")  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.upgrade")
    parser.add_argument("--reports", type=int, default=REPORTS, help="old reports to import")
    parser.add_argument("--sentences", type=int, default=SENTENCES, help="real sentences a text")
    parser.add_argument("--seconds", type=float, default=30.0, help="load after each start")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        began = time.perf_counter()
        main_file, reports_file = write_old_store(folder / "data", args.reports, args.sentences)
        size = reports_file.stat().st_size / 1e6
        print(f"upgrade from the single-file store: {CHATS:,} chats x {WATCHES} watches "
              f"({main_file.stat().st_size / 1e6:.1f} MB), {args.reports:,} reports "
              f"({size:.0f} MB), written in {time.perf_counter() - began:.0f} s")  # fmt: skip
        asyncio.run(measure(folder, args.seconds))


if __name__ == "__main__":
    main(sys.argv[1:])
