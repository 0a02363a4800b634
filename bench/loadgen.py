"""The load both poll-path benchmarks share: a filled data directory, feeds, and gauges.

`build_data_dir` makes what a busy bot holds (10,000 chats x 5 watches as users add them,
imported from the previous single-file format because that is the quick way in, then N stored
reports written the way polls write them). `FeedSet` serves 50 RSS feeds of 100 items each from
a loopback `fakes.FeedServer`, and `advance` puts new items on top. Every item
carries at least two sentences, so no summary needs an article page and nothing leaves 127.0.0.1.

Both make short synthetic items by default: three filler sentences (about 150 characters, 1 kB
stored), all published before the feeds' items. With `news=True` they are real text instead
(`bench.newstext`: distinct reports of about 1,000 characters in a dozen languages), and the
stored reports and the feeds' backlog are published over the same last NEWS_SPAN, newest now,
so the newest reports (those /latest reads) are stored ones and feed items mixed. The items
`advance` publishes are real text too, but drawn from what names no popular term (a real
report names "president" or "border" more often than not, and each such report would alert
about 1,000 of the 10,000 chats), so their alerts are those of the synthetic items.
`FeedProcess` runs that server in a process of its own, so serving feeds does not compete for
the measured process's GIL (real feeds are served elsewhere). `rss_mb`, `family` and
`memory_split` read /proc (`bench.looplag` measures the event loop).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.matching import NEWS_WORDS, make_watches
from bench.newstext import NewsText
from bot.store import Store
from fakes import FeedServer, Request
from watchers.matching import KeywordError, load_aliases, validate_keyword
from watchers.models import Report
from watchers.summary import needs_article

__all__ = [
    "CHATS",
    "FEEDS",
    "ITEMS",
    "WATCHES",
    "FeedProcess",
    "FeedSet",
    "build_data_dir",
    "chat_id",
    "family",
    "memory_split",
    "old_chats",
    "popular_terms",
    "rss_mb",
    "unique_keyword",
]

CHATS = 10_000
WATCHES = 5
FEEDS = 50
ITEMS = 100
FIRST_CHAT = 100_000
FILL_BATCH = 2_000
HIT_EVERY = 4
"""One new item in HIT_EVERY names a popular term (a place, a news word), which a few hundred
chats watch; the others name nothing watched. That fan-out is what makes a cycle expensive."""
NEWS_SPAN = timedelta(days=2)
"""With `news`, the stored reports and the feeds' first items are published over this span."""
NEWS_OUTLETS = 400
"""With `news`, the stored reports come from this many outlets: the bot keeps one report per
outlet and headline, and real headlines are fewer than 100,000 (see `NewsText.story`)."""

_FILLER = (
    "Officials gave no further details on Tuesday.",
    "The ministry said the meetings would resume next week.",
    "Local media reported long queues at the crossing.",
    "Analysts expect the decision to be appealed.",
    "A spokesperson declined to comment on the figures.",
    "Residents described a quiet night after days of tension.",
    "The agreement still needs the approval of the assembly.",
    "Prices rose for the third month in a row.",
)
_SUBJECTS = (
    "Regional council", "Transport board", "City hall", "Water utility", "Grain exporters",
    "Rail operator", "Harbour authority", "Teachers' union", "Central bank", "Customs office",
)  # fmt: skip


def chat_id(number: int) -> int:
    """The private chat id of the benchmark's chat `number` (0 .. CHATS-1)."""
    return FIRST_CHAT + number


def unique_keyword(number: int) -> str:
    """A keyword only chat `number` watches (see `bench.matching.make_watches`)."""
    return f"chat{number}topic0"


def old_chats(now: datetime) -> dict[str, dict[str, object]]:
    """The previous store's chats table: CHATS chats, WATCHES valid, distinct watches each."""
    per_chat: dict[int, list[str]] = {}
    for chat, keyword in make_watches(CHATS, WATCHES, load_aliases()):
        try:
            tidy = validate_keyword(keyword)
        except KeywordError:
            continue
        if tidy not in per_chat.setdefault(chat, []):
            per_chat[chat].append(tidy)
    since = (now - timedelta(days=1)).isoformat()
    return {
        str(n + 1): {
            "chat_id": chat_id(n),
            "kind": "private",
            "title": f"Chat {n}",
            "subscribed": True,
            "paused": False,
            "watches": [{"keyword": k, "since": since} for k in per_chat.get(n, [])],
        }
        for n in range(CHATS)
    }


def popular_terms() -> list[str]:
    """The terms many chats watch: alias group names and common news words."""
    return [group.name for group in load_aliases().groups] + list(NEWS_WORDS)


def _sentences(rng: random.Random, term: str | None) -> str:
    """Three sentences; only `term`, when given, is something chats watch."""
    picked = rng.sample(_FILLER, 3)
    if term:
        picked[1] = f"The situation around {term} was discussed at length."
    return " ".join(picked)


def _stored_reports(
    start: int, count: int, now: datetime, terms: list[str], news: NewsText | None, gap: timedelta
) -> list[Report]:
    rng = random.Random(start)
    reports = []
    for n in range(start, start + count):
        if news is not None:  # real text, which names watched places now and then by itself
            domain = f"archive{n % NEWS_OUTLETS}.test"
            story = news.story(outlet=domain)
            url = f"https://{domain}/story/{n}"
            reports.append(
                Report(
                    id=url,
                    url=url,
                    canonical_url=url,
                    title=story.title,
                    text=story.text,
                    published=now - gap * n,
                    outlet="Archive Wire",
                    domain=domain,
                    language=story.language,
                )
            )
            continue
        url = f"https://archive{n % 40}.test/story/{n}"
        term = terms[n % len(terms)] if n % HIT_EVERY == 0 else None
        reports.append(
            Report(
                id=url,
                url=url,
                canonical_url=url,
                title=f"{rng.choice(_SUBJECTS)} report {n}" + (f" on {term}" if term else ""),
                text=_sentences(rng, term) * 6,  # about 1 kB, as feeds give
                published=now - timedelta(seconds=30 * n),
                outlet="Archive Wire",
                domain=f"archive{n % 40}.test",
                language="en",
            )
        )
    return reports


async def _fill(data: Path, reports: int, now: datetime, news: bool) -> None:
    store = Store.open(data)
    terms = popular_terms()
    text = NewsText(seed=1) if news else None
    gap = NEWS_SPAN / max(reports, 1) if news else timedelta(seconds=30)
    try:
        for start in range(0, reports, FILL_BATCH):
            count = min(FILL_BATCH, reports - start)
            await store.reports.add(_stored_reports(start, count, now, terms, text, gap), now)
    finally:
        await store.close()


def build_data_dir(data: Path, reports: int, *, news: bool = False) -> float:
    """Fill `data` with CHATS chats and `reports` stored reports (real text published over the
    last NEWS_SPAN with `news`); returns the seconds taken."""
    began = time.perf_counter()
    now = datetime.now(UTC)
    data.mkdir(parents=True, exist_ok=True)
    legacy = data / "newswatch.json"
    legacy.write_text(json.dumps({"chats": old_chats(now), "sources": {}}), encoding="utf-8")
    asyncio.run(_fill(data, reports, now, news))
    legacy.unlink()  # imported once; the bot must not find it again
    return time.perf_counter() - began


@dataclass(slots=True)
class _Item:
    title: str
    link: str
    text: str
    published: datetime


class FeedSet:
    """FEEDS feeds of ITEMS items on a loopback server; `advance` publishes new items. With
    `news`, items are real text and the first ones spread over NEWS_SPAN (see the module)."""

    def __init__(self, server: FeedServer, seed: int = 3, *, news: bool = False) -> None:
        self.server = server
        self._rng = random.Random(seed)
        self._terms = popular_terms()
        self._news = NewsText(seed=seed + 1000) if news else None
        self._quiet = NewsText(seed=seed + 2000, quiet=self._terms) if news else None
        self._serial = 0
        self._items: list[list[_Item]] = []
        now = datetime.now(UTC)
        gap = NEWS_SPAN / (FEEDS * ITEMS) if news else timedelta(0)
        for feed in range(FEEDS):
            items = [self._item(feed, None, new=False) for _ in range(ITEMS)]
            for age, item in enumerate(items):  # the first item is the newest
                item.published = now - gap * (age * FEEDS + feed)
            self._items.append(items)
            self._publish(feed)

    @property
    def urls(self) -> list[str]:
        return [self.server.url(self.path(feed)) for feed in range(FEEDS)]

    @staticmethod
    def path(feed: int) -> str:
        return f"/feed{feed}.xml"

    def _item(self, feed: int, term: str | None, *, new: bool) -> _Item:
        """An item naming `term` in its headline. With `news`, the feeds' first items are real
        text as it comes, and the `new` ones real text that names no popular term but `term`
        (otherwise each would alert about 1,000 of the 10,000 chats), and that the summariser
        takes as two sentences or more (Armenian and Georgian text it does not: their alerts
        would fetch the article page, off 127.0.0.1)."""
        self._serial += 1
        n = self._serial
        link = f"https://outlet{feed}.test/news/{n}"
        if self._news is not None and self._quiet is not None:
            outlet = f"outlet{feed}.test"
            story = (self._quiet if new else self._news).story(term, outlet=outlet)
            while new and needs_article(story.text):  # its alert's summary would fetch the page
                story = self._quiet.story(term, outlet=outlet)
            return _Item(story.title, link, story.text, datetime.now(UTC))
        subject = self._rng.choice(_SUBJECTS)
        title = f"{subject} update {n}" + (f" about {term}" if term else "")
        return _Item(title, link, _sentences(self._rng, term), datetime.now(UTC))

    def _publish(self, feed: int) -> None:
        entries = "".join(
            f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
            f'<guid isPermaLink="true">{escape(i.link)}</guid>'
            f"<description>{escape(i.text)}</description>"
            f"<pubDate>{format_datetime(i.published)}</pubDate></item>"
            for i in self._items[feed]
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Outlet {feed}</title><link>https://outlet{feed}.test/</link>"
            f"<description>bench</description>{entries}</channel></rss>"
        ).encode()
        self.server.set(self.path(feed), body)  # a new ETag with every change

    def advance(self, feed: int, count: int, *, hits: bool = True, term: str | None = None) -> None:
        """Put `count` new items on top of `feed` (the oldest fall off). With `hits`, one in
        HIT_EVERY new items names a popular term; `term` puts that term in every one."""
        for _ in range(count):
            chosen = term
            if chosen is None and hits and self._serial % HIT_EVERY == 0:
                chosen = self._rng.choice(self._terms)
            self._items[feed].insert(0, self._item(feed, chosen, new=True))
        del self._items[feed][ITEMS:]
        self._publish(feed)

    def advance_all(self, count: int) -> None:
        """`advance` every feed by `count` items."""
        for feed in range(FEEDS):
            self.advance(feed, count)


class _TimedRequests(list[Request]):
    """`FeedServer.requests` that also keeps when each request arrived (monotonic clock, which
    on Linux is one clock for every process)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []
        self._lock = threading.Lock()

    def append(self, request: Request) -> None:
        with self._lock:
            self.times.append(time.monotonic())
            super().append(request)

    def first_after(self, path: str, moment: float) -> float | None:
        with self._lock:
            pairs = zip(self.times, self, strict=True)
            return next((t for t, r in pairs if t >= moment and r.path == path), None)

    def paths(self) -> set[str]:
        with self._lock:
            return {r.path for r in self}


def _serve(conn: Connection, news: bool) -> None:
    """The feed process: a FeedSet on a loopback server, driven by (name, args) messages."""
    with FeedServer() as server:
        server.requests = _TimedRequests()
        feeds = FeedSet(server, news=news)
        calls: dict[str, Callable[..., object]] = {
            "urls": lambda: feeds.urls,
            "advance": feeds.advance,
            "advance_all": feeds.advance_all,
            "first_after": server.requests.first_after,
            "paths": server.requests.paths,
            "url": server.url,
            "set": server.set,
        }
        while True:
            message = conn.recv()
            if message is None:
                return
            name, args, kwargs = message
            conn.send(calls[name](*args, **kwargs))


class FeedProcess:
    """`FeedSet` in a child process: each method call is a round trip over a pipe."""

    def __init__(self, *, news: bool = False) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, news), daemon=True)
        self._process.start()
        self._lock = threading.Lock()
        self.urls: list[str] = self._call("urls")

    def _call(self, name: str, *args: object, **kwargs: object) -> Any:
        with self._lock:
            self._conn.send((name, args, kwargs))
            return self._conn.recv()

    def advance(self, feed: int, count: int, *, hits: bool = True, term: str | None = None) -> None:
        self._call("advance", feed, count, hits=hits, term=term)

    def advance_all(self, count: int) -> None:
        self._call("advance_all", count)

    def first_after(self, path: str, moment: float) -> float | None:
        """When the first request for `path` at or after `moment` arrived."""
        return self._call("first_after", path, moment)

    def paths(self) -> set[str]:
        """Every path requested so far."""
        return self._call("paths")

    def url(self, path: str) -> str:
        return self._call("url", path)

    def set(self, path: str, body: bytes, **kwargs: object) -> None:
        self._call("set", path, body, **kwargs)

    def close(self) -> None:
        self._conn.send(None)
        self._process.join(timeout=10)


def rss_mb(*pids: int) -> tuple[float, float]:
    """(resident now, peak resident) in MB of these processes together (this one by default),
    from /proc/<pid>/status."""
    now = peak = 0.0
    for pid in pids or (os.getpid(),):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:  # a child that ended since it was listed
            continue
        values = {}
        for line in status.splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) / 1024
        now, peak = now + values["VmRSS"], peak + values["VmHWM"]
    return now, peak


def memory_split(pid: int) -> list[tuple[str, float, float]]:
    """(which process, resident MB, proportional MB) for `pid` and each process it started.
    PSS splits pages shared between them (libraries' code) instead of counting them twice."""
    split = []
    for one in family(pid):
        try:
            command = Path(f"/proc/{one}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            rollup = Path(f"/proc/{one}/smaps_rollup").read_text()
        except FileNotFoundError:  # a child that ended since it was listed
            continue
        values = dict(line.split(":", 1) for line in rollup.splitlines()[1:])
        rss, pss = (int(values[name].split()[0]) / 1024 for name in ("Rss", "Pss"))
        label = "CPU worker" if "watchers.cpu" in command else "bot"
        split.append((label, rss, pss))
    return split


def family(pid: int) -> list[int]:
    """`pid` and the processes it started, recursively (the bot and its CPU worker)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            children.setdefault(int(stat[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        one = todo.pop()
        found.append(one)
        todo.extend(children.get(one, ()))
    return found
