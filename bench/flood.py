"""One chat floods the bot while others use it: `python -m bench.flood [--seconds S]`.

Prints figures, asserts nothing. The real `newswatch run` (`python -m bot run`, a subprocess, no
news sources) talks to a fake Bot API server (`fakes.telegram`) that enforces Telegram's
flood limits: 30 messages a second for the bot and, in each chat, a burst of 3 then one a
second, answering 429 with `retry_after` beyond them. For S seconds (default 60):

- one chat sends `/latest` 20 times a second;
- 100 other chats send random text, 50 messages a second together (each at a person's pace),
  one in ten of them `/help`;
- one more chat sends `/list` every 1-2 s, each timed from the moment the update is queued
  on the fake server to the moment the fake received the bot's reply.

Then the bot is given up to 20 s to finish what it took on, and the figures are printed: the
`/list` replies, whether every `/list` and `/help` was answered, what became of the flood, the
bot's log lines about it, and the machine's load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import string
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.responsiveness import _quantiles, _wait, start_bot, stop_bot
from bot.updates import SLOW_DOWN
from fakes import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]
FLOODER = 7_000_001
LISTER = 7_000_002
TALKERS = range(7_100_000, 7_100_100)
FLOOD_PER_SECOND = 20
TEXT_PER_SECOND = 50
HELP_EVERY = 10
DRAIN_SECONDS = 20.0


class _Run:
    """The three activities of the measured period, and what they found."""

    def __init__(self, telegram: FakeTelegram, seconds: float) -> None:
        self.telegram = telegram
        self.until = time.monotonic() + seconds
        self.rng = random.Random(13)
        self.flood_sent = 0
        self.helps: dict[int, int] = dict.fromkeys(TALKERS, 0)
        self.texts = 0
        self.lists: list[float] = []
        self.unanswered_lists = 0

    async def _paced(self, per_second: float, send: Callable[[], None]) -> None:
        """Call `send()` `per_second` times a second on a fixed schedule until the end."""
        at = time.monotonic()
        while at < self.until:
            send()
            at += 1.0 / per_second
            await asyncio.sleep(max(0.0, at - time.monotonic()))

    async def flood(self) -> None:
        def one() -> None:
            self.telegram.push_message(FLOODER, "/latest")
            self.flood_sent += 1

        await self._paced(FLOOD_PER_SECOND, one)

    async def talk(self) -> None:
        def one() -> None:
            chat = self.rng.choice(TALKERS)
            self.texts += 1
            if self.texts % HELP_EVERY == 0:
                self.helps[chat] += 1
                self.telegram.push_message(chat, "/help")
                return
            words = self.rng.randint(1, 12)
            text = " ".join(
                "".join(self.rng.choices(string.ascii_letters + "éçəı", k=self.rng.randint(1, 9)))
                for _ in range(words)
            )
            self.telegram.push_message(chat, text)

        await self._paced(TEXT_PER_SECOND, one)

    async def list_now_and_then(self) -> None:
        while time.monotonic() < self.until:
            mark = self.telegram.mark()
            began = time.monotonic()
            self.telegram.push_message(LISTER, "/list")
            try:
                [reply] = await self.telegram.wait_for_sent(since=mark, chat_id=LISTER, timeout=30)
                self.lists.append(reply.time - began)
            except AssertionError:
                self.unanswered_lists += 1
            await asyncio.sleep(self.rng.uniform(1.0, 2.0))  # a person's pace


def _helps_answered(telegram: FakeTelegram) -> dict[int, int]:
    answered = dict.fromkeys(TALKERS, 0)
    for record in telegram.sent:
        if record.chat_id in answered and record.text.startswith("Commands\n"):  # not the hint
            answered[record.chat_id] += 1
    return answered


async def measure(folder: Path, seconds: float) -> None:
    with FakeTelegram(per_chat_burst=3, per_chat_rate=1.0, global_rate=30.0) as telegram:
        bot = start_bot(folder, telegram)
        try:
            await _wait(lambda: telegram.commands is not None, "the bot to start", 60, bot)
            mark = telegram.mark()
            telegram.push_message(LISTER, "/watch Lachin, Karabakh, Shusha")
            await telegram.wait_for_sent(since=mark, chat_id=LISTER, timeout=30)
            print(f"  measuring for {seconds:.0f} s")
            run = _Run(telegram, seconds)
            await asyncio.gather(run.flood(), run.talk(), run.list_now_and_then())
            load = os.getloadavg()
            flood_replies = 0
            deadline = time.monotonic() + DRAIN_SECONDS
            while time.monotonic() < deadline:  # until the flood's backlog is answered
                replies = len([r for r in telegram.sent if r.chat_id == FLOODER])
                if replies == flood_replies and _helps_answered(telegram) == run.helps:
                    break
                flood_replies = replies
                await asyncio.sleep(2.0)
            to_flooder = [r.text for r in telegram.sent if r.chat_id == FLOODER]
            limited = [r for r in telegram.requests if r.status == 429]
        finally:
            code = stop_bot(bot)
    log = (folder / "bot.log").read_text(encoding="utf-8", errors="replace").splitlines()
    floods = [line for line in log if "floods the bot" in line]
    errors = [line for line in log if " ERROR " in line or " CRITICAL " in line]
    notices = to_flooder.count(SLOW_DOWN)
    answered = len(to_flooder) - notices
    helps = _helps_answered(telegram)
    print(f"  /list reply:  {_quantiles(run.lists)}   (goal p95 < 100 ms); "
          f"unanswered {run.unanswered_lists}")  # fmt: skip
    print(f"  /help from the 100 chats: {sum(helps.values())} of {sum(run.helps.values())} "
          f"answered; {run.texts - sum(run.helps.values())} random texts sent")  # fmt: skip
    print(f"  flood: {run.flood_sent} /latest sent, {answered} answered, "
          f"{run.flood_sent - answered} dropped or coalesced, "
          f"{notices} slow-down notice(s)")  # fmt: skip
    limited_flooder = len([r for r in limited if r.params.get("chat_id") == FLOODER])
    print(f"  429s from the fake: {len(limited)} ({limited_flooder} "
          f"for the flooding chat); bot log: {len(floods)} flood line(s), {len(errors)} error(s); "
          f"exit code {code}")  # fmt: skip
    for line in (floods + errors)[:3]:
        print(f"    {line}")
    print(f"  load average at the end (1, 5, 15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} cores")  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.flood")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the measured period")
    args = parser.parse_args(argv)
    print(f"newswatch run against a fake Bot API with Telegram's flood limits: one chat sends "
          f"/latest {FLOOD_PER_SECOND}/s, {len(TALKERS)} chats send {TEXT_PER_SECOND} texts/s, "
          f"one chat sends /list:")  # fmt: skip
    with tempfile.TemporaryDirectory() as name:
        asyncio.run(measure(Path(name), args.seconds))


if __name__ == "__main__":
    main(sys.argv[1:])
