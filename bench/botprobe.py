"""The real bot with gauges inside: `python -m bench.botprobe OUT.json [newswatch arguments]`.

Runs `newswatch` (`bot.cli.main`) as it is, with two gauges added from outside its code, so
`bench.responsiveness` can measure the running bot itself and not only what it sends:

- each poll job is timed (its start and end), by wrapping `bot.jobs.poll_job` before the jobs
  are scheduled;
- from the first poll on, a `bench.looplag.LoopLag` task runs on the bot's event loop (how late
  a 1 ms sleeper wakes: how long something held the loop), with the garbage collector's longest
  pause. The task is registered with the running polls, so stopping the bot cancels it.

When the bot has exited, OUT.json holds `{"polls": [[began, ended], ...], "lag": [[woke, late],
...], "gc_worst": seconds}`, times from time.monotonic (one clock for every process on Linux),
so the caller can keep the samples of its measured period.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import bot.jobs
from bench.looplag import LoopLag
from bot.cli import main as newswatch
from bot.context import Context

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Run newswatch with `argv[1:]`, gauged; write the figures to the file `argv[0]`."""
    out = Path(argv[0])
    lag = LoopLag()
    polls: list[tuple[float, float]] = []
    untimed = bot.jobs.poll_job

    sampling: list[asyncio.Task[None]] = []

    async def timed_poll_job(context: Context) -> None:
        if not sampling:
            sampling.append(lag.start())
            context.bot_data.polls.add(sampling[0])  # cancelled with the polls when stopping
        began = time.monotonic()
        try:
            await untimed(context)
        finally:
            polls.append((began, time.monotonic()))

    bot.jobs.poll_job = timed_poll_job
    try:
        return newswatch(argv[1:])
    finally:
        figures = {
            "polls": polls,
            "lag": list(zip(lag.woke, lag.samples, strict=False)),
            "gc_worst": lag.gc_worst,
        }
        out.write_text(json.dumps(figures), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
