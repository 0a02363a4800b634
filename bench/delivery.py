"""Delivery figures against the fake Bot API (Telegram's 30/s bucket, per-chat limits, strict
HTML): `python -m bench.delivery [--chats 3000] [--kills 20] [--terms 5] [--kill-chats 100]`.

Prints figures, asserts nothing:
1. Fan-out: one alert to `--chats` private chats through the real application (sender, PTB's
   request stack and rate limiter), while a user sends /list every 5 s: the sustained rate
   (first to last message), 429 answers, and how long those commands waited for their reply.
2. Kill trials: a real `newswatch run` process fans an alert out to `--kill-chats` chats and is
   killed with SIGKILL at a random point of each fan-out, then started again; counts chats
   that never got an alert (lost) and messages sent twice (repeats).
3. Stop trials: the same with SIGTERM: seconds from the signal to the exit, losses, repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from bot.app import build_application
from bot.config import load_settings
from bot.store import Chat, Store, WatchEntry
from fakes import DEFAULT_TOKEN, ROOT, FakeTelegram, FeedServer, Item, SentRecord, make_rss
from watchers.models import Alert, PollOutcome, Report, SourceState

KEYWORD = "Lachin"
FIRST_CHAT = 100_001


def _chats(count: int) -> list[Chat]:
    since = datetime.now(UTC) - timedelta(days=1)
    return [Chat(FIRST_CHAT + n, watches=[WatchEntry(KEYWORD, since)]) for n in range(count)]


def _fill(folder: Path, count: int) -> None:
    store = Store.open(folder)
    store.chats.save_many_now(_chats(count))  # one write per shard: the bench's set-up only
    store.shutdown()


def _alerts(telegram: FakeTelegram, marker: str) -> list[SentRecord]:
    return [r for r in telegram.sent if r.method == "sendMessage" and marker in r.text]


def _alerted(telegram: FakeTelegram, marker: str, count: int) -> bool:
    """Whether `count` alerts naming `marker` were sent."""
    return len(_alerts(telegram, marker)) >= count


def _alerted_chats(telegram: FakeTelegram, marker: str, count: int) -> bool:
    """Whether `count` chats were sent an alert naming `marker`."""
    return len({r.chat_id for r in _alerts(telegram, marker)}) >= count


# 1. Fan-out rate --------------------------------------------------------------------------------


async def _fan_out(count: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    _fill(folder, count)
    with FakeTelegram() as telegram:  # per-chat burst 3 and 1/s, bot-wide 30/s
        settings = replace(
            load_settings({"TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN}),
            api_base_url=telegram.base_url,
            data_dir=folder,
            default_sources=False,
            google_news_url=None,
            gdelt_url=None,
        )
        store = Store.open(folder)
        app = build_application(settings, store)
        await app.initialize()
        assert app.post_init is not None
        assert app.updater is not None
        await app.post_init(app)
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        url = "https://wire.test/fan-out"
        report = Report(id=url, url=url, canonical_url=url, title="Convoy reaches Lachin")
        alerts = [
            Alert(FIRST_CHAT + n, report, KEYWORD, KEYWORD, "A convoy reached Lachin.")
            for n in range(count)
        ]
        await store.polls.record_poll(
            PollOutcome("bench", SourceState(), datetime.now(UTC), [report], [report], alerts)
        )
        assert app.bot_data.sender is not None
        app.bot_data.sender.wake()
        waits: list[float] = []
        user = 42
        while len(_alerts(telegram, "Convoy")) < count:
            mark = telegram.mark()
            asked = time.monotonic()
            telegram.push_message(user, "/list")
            answered = await telegram.wait_for_sent(chat_id=user, since=mark, timeout=60)
            waits.append(answered[0].time - asked)
            await asyncio.sleep(5.0)
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
    sent = _alerts(telegram, "Convoy")
    span = sent[-1].time - sent[0].time
    too_many = [r for r in telegram.requests if r.status == 429]
    twice = sum(n - 1 for n in Counter(r.chat_id for r in sent).values())
    print(f"fan-out to {count} private chats:")
    print(f"  {len(sent)} sent in {span:.1f} s = {(len(sent) - 1) / span:.2f} msg/s sustained")
    print(f"  429 answers: {len(too_many)}; sent twice: {twice}")
    print(
        f"  /list during the fan-out ({len(waits)} times): reply after "
        f"median {statistics.median(waits) * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms"
    )


# 2 and 3. A real process, killed or stopped ---------------------------------------------------


def _start(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not get there in time")
        time.sleep(0.005)


def _trials(chats: int, kills: int, terms: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-delivery-run-"))
    _fill(folder / "data", chats)
    chance = random.Random(20261130)
    with FakeTelegram(per_chat_burst=None) as telegram, FeedServer() as feeds:
        old = datetime.now(UTC) - timedelta(hours=3)
        feeds.set("/wire.xml", make_rss([Item("Weather", "https://wire.test/w", "", old)]))
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "NEWSWATCH_DATA_DIR": str(folder / "data"),
            "NEWSWATCH_DEFAULT_SOURCES": "off",
            "NEWSWATCH_GOOGLE_NEWS_URL": "off",
            "NEWSWATCH_GDELT_URL": "off",
            "NEWSWATCH_FEEDS": feeds.url("/wire.xml"),
            "NEWSWATCH_POLL_SECONDS": "1",
            "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
        }
        process = _start(env, folder)
        _wait(lambda: len(feeds.requests) >= 2)  # the first poll only stores
        results: list[tuple[str, int, int, int, float]] = []
        for trial in range(kills + terms):
            how = signal.SIGKILL if trial < kills else signal.SIGTERM
            marker = f"Convoy {trial} reaches"
            feeds.set(
                "/wire.xml",
                make_rss([Item(f"{marker} Lachin", f"https://wire.test/c{trial}", "A convoy.")]),
            )
            at = chance.randint(1, chats - 1)
            _wait(partial(_alerted, telegram, marker, at))
            began = time.monotonic()
            process.send_signal(how)
            process.wait(timeout=60)
            took = time.monotonic() - began
            sent_then = len(_alerts(telegram, marker))
            process = _start(env, folder)
            _wait(partial(_alerted_chats, telegram, marker, chats))
            time.sleep(0.5)  # anything sent twice would have arrived by now
            counts = Counter(r.chat_id for r in _alerts(telegram, marker))
            lost = chats - len(counts)
            repeats = sum(counts.values()) - len(counts)
            results.append((how.name, sent_then, lost, repeats, took))
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    for name in ("SIGKILL", "SIGTERM"):
        rows = [r for r in results if r[0] == name]
        if not rows:
            continue
        print(f"{len(rows)} trials, {name} during a fan-out to {chats} chats, then a restart:")
        print(f"  sent before the signal: {', '.join(str(r[1]) for r in rows)}")
        print(
            f"  lost: {sum(r[2] for r in rows)}; repeats: {sum(r[3] for r in rows)} in all, "
            f"at most {max(r[3] for r in rows)} in one trial"
        )
        if name == "SIGTERM":
            times = [r[4] for r in rows]
            print(
                f"  signal to exit: median {statistics.median(times):.2f} s, max {max(times):.2f} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=3000, help="fan-out size (0: skip)")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILL trials")
    parser.add_argument("--terms", type=int, default=5, help="SIGTERM trials")
    parser.add_argument("--kill-chats", type=int, default=100, help="fan-out size in trials")
    args = parser.parse_args()
    if args.chats:
        asyncio.run(_fan_out(args.chats))
    if args.kills or args.terms:
        _trials(args.kill_chats, args.kills, args.terms)


if __name__ == "__main__":
    main()
