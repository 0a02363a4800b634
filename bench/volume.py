"""One feed's burst against another source's alert to the same chat:
`python -m bench.volume [--items 5000] [--poll 5] [--wait 120] [--outbox 100000]`.

Prints figures, asserts nothing.
1. Burst: the real `newswatch run` (`python -m bot run`, a subprocess) polls two loopback feeds
   every `--poll` seconds for one chat watching "Lachin", against the fake Bot API with Telegram's
   limits (30/s bot-wide, one a second a chat). Once both feeds have had their first poll, the
   burst feed serves `--items` new matching items; once the poll that found them has queued the
   chat's first alert, the other feed serves one matching item. Printed: how long after the poll
   that found it (its feed request) the other feed's alert reached the fake, the messages the chat
   got (waiting at most `--wait` seconds for them to stop coming), and the load average.
2. Outbox: `--outbox` pending entries over 1,000 chats and 10 sources, queued by polls of one
   alert to every chat; the sender's read of its next 200 due entries (each chat's by turn),
   median of 20 reads, and what queuing a poll's 1,000 alerts cost at that size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.delivery import FIRST_CHAT, _fill, _start, _wait
from bot.delivery import BATCH
from bot.store import Store
from fakes import DEFAULT_TOKEN, OFFLINE, ROOT, FakeTelegram, FeedServer, Item, SentRecord, make_rss
from watchers.models import Alert, PollOutcome, Report, SourceState

CHAT = FIRST_CHAT
OTHER_TITLE = "Lachin checkpoint reopens, says the other wire"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (os.getloadavg)"


def _requests(feeds: FeedServer, path: str) -> int:
    return sum(1 for r in list(feeds.requests) if r.path == path)


def _next_request(feeds: FeedServer, path: str, timeout: float) -> float:
    """Wait for the next request of `path`; the moment it arrived, within a millisecond."""
    seen = _requests(feeds, path)
    deadline = time.monotonic() + timeout
    while _requests(feeds, path) == seen:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} was not polled within {timeout} s")
        time.sleep(0.001)
    return time.monotonic()


def _to_chat(telegram: FakeTelegram) -> list[SentRecord]:
    return [r for r in telegram.sent if r.method == "sendMessage" and r.chat_id == CHAT]


def _burst(items: int, poll: int, wait: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-volume-"))
    _fill(folder / "data", 1)  # one chat, watching Lachin
    old = datetime.now(UTC) - timedelta(hours=3)
    with FakeTelegram() as telegram, FeedServer() as feeds:
        feeds.set("/burst.xml", make_rss([Item("Weather", "https://burst.test/w", "", old)]))
        feeds.set("/other.xml", make_rss([Item("Weather", "https://other.test/w", "", old)]))
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            **OFFLINE,
            "NEWSWATCH_DATA_DIR": str(folder / "data"),
            "NEWSWATCH_FEEDS": f"{feeds.url('/burst.xml')},{feeds.url('/other.xml')}",
            "NEWSWATCH_POLL_SECONDS": str(poll),
            "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
        }
        process = _start(env, folder)
        try:
            # A second request of each feed: its first poll, which only stores, is over.
            _wait(lambda: min(_requests(feeds, p) for p in ("/burst.xml", "/other.xml")) >= 2)
            now = datetime.now(UTC)
            burst = [
                Item(
                    f"Lachin convoy report {n}",
                    f"https://burst.test/{n}",
                    "Trucks crossed. Flour arrived.",
                    now - timedelta(seconds=n),
                )
                for n in range(items)
            ]
            feeds.set("/burst.xml", make_rss(burst, title="Burst Wire"))
            burst_poll = _next_request(feeds, "/burst.xml", poll * 3)
            _wait(lambda: bool(_to_chat(telegram)), timeout=300)
            first = _to_chat(telegram)[0].time - burst_poll
            other = Item(OTHER_TITLE, "https://other.test/1", "The road is open. Cars pass.")
            feeds.set("/other.xml", make_rss([other], title="Other Wire"))
            other_poll = _next_request(feeds, "/other.xml", poll * 3)
            try:
                _wait(lambda: any(OTHER_TITLE in r.text for r in _to_chat(telegram)), wait)
                [alert] = [r for r in _to_chat(telegram) if OTHER_TITLE in r.text]
                delay = f"{alert.time - other_poll:.2f} s after its poll"
            except TimeoutError:
                delay = f"not within {wait:.0f} s of its poll"
            deadline, count = time.monotonic() + wait, -1
            while count != len(_to_chat(telegram)) and time.monotonic() < deadline:
                count = len(_to_chat(telegram))
                time.sleep(poll * 2)  # two polls with no new message: the outbox is drained
            coming = " and still coming" if count != len(_to_chat(telegram)) else ""
            load = _load()
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
    texts = [r.text for r in _to_chat(telegram)]
    order = [t.splitlines()[0] for t in texts]
    print(
        f"burst of {items} matching items in one feed, one item in another, polled every {poll} s:"
    )
    print(f"  the burst's poll to the chat's first alert: {first:.2f} s")
    print(f"  the other feed's alert: {delay}")
    print(
        f"  messages to the chat{coming}: {len(texts)} ({sum('convoy report' in t for t in order)} "
        f"burst alerts, {sum(t.startswith('+') for t in order)} '+N more' line, "
        f"{sum(OTHER_TITLE in t for t in order)} from the other feed)"
    )
    print(
        f"  in order: {' | '.join(t[:40] for t in order[:8])}{' | ...' if len(order) > 8 else ''}"
    )
    print(f"  {load}")


async def _outbox_read(pending: int) -> None:
    store = Store.in_memory()
    try:
        chats, sources = 1000, 10
        per_chat = max(1, pending // chats)
        writes = []
        for n in range(per_chat):  # one report a poll, to every chat, sources in turn
            url = f"https://wire.test/{n}"
            report = Report(id=url, url=url, canonical_url=url, title=f"Lachin {n}")
            alerts = [Alert(c, report, "Lachin", "Lachin", "s") for c in range(1, chats + 1)]
            outcome = PollOutcome(
                f"source {n % sources}",
                SourceState(),
                datetime.now(UTC),
                [report],
                [report],
                alerts,
            )
            began = time.perf_counter()
            await store.polls.record_poll(outcome)
            writes.append(time.perf_counter() - began)
        reads = []
        for _ in range(20):
            began = time.perf_counter()
            due = await store.outbox.pending(BATCH)
            reads.append(time.perf_counter() - began)
        print(f"outbox of {per_chat * chats} pending entries ({chats} chats x {per_chat}):")
        print(
            f"  the sender's read of {len(due)} due entries: median "
            f"{statistics.median(reads) * 1000:.1f} ms, max {max(reads) * 1000:.1f} ms"
        )
        last = writes[-10:]
        print(
            f"  a poll queuing {chats} alerts, the last {len(last)} polls: median "
            f"{statistics.median(last) * 1000:.0f} ms, max {max(last) * 1000:.0f} ms"
        )
        print(f"  {_load()}")
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000, help="items of the burst (0: skip)")
    parser.add_argument("--poll", type=int, default=5, help="poll interval, seconds")
    parser.add_argument("--wait", type=float, default=120.0, help="longest wait for messages")
    parser.add_argument("--outbox", type=int, default=100_000, help="pending entries (0: skip)")
    args = parser.parse_args()
    if args.items:
        _burst(args.items, args.poll, args.wait)
    if args.outbox:
        asyncio.run(_outbox_read(args.outbox))


if __name__ == "__main__":
    main()
