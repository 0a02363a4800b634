"""One worker process for the poll path's CPU-heavy steps (parsing, cleaning, matching, summaries).

Why a process: under the GIL, a worker thread only takes turns with the event loop, and each
time the loop gives the lock up for a system call it may wait a whole switch interval (5 ms) to
get it back. When 50 polls end together that added up: with these steps in one thread the loop
was held up to 150–230 ms in a busy cycle (`python -m bench.cycle`); in a process it never
shares the lock with them. One process, not a pool: the steps take turns among themselves, never
with the loop, and the matcher (most of a second to build for 10,000 chats) exists once, there
(`watchers.poll.MatcherCache`).

Whatever is sent must pickle: module-level functions and plain data. The worker alone imports
the parsers; its log records go to the bot's own handlers. It ignores SIGINT (Ctrl-C in a
terminal reaches the whole process group; the bot decides how to stop) and exits as soon as the
bot's process is gone, even after a kill -9. If it dies (a crash in a C parser, the OOM
killer), the steps in flight fail with `CpuLaneError` and the next step starts a new one.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from logging.handlers import QueueHandler
from multiprocessing.connection import wait
from multiprocessing.queues import Queue
from typing import ParamSpec, TypeVar

__all__ = ["CpuLaneError", "on_cpu"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_lane: ProcessPoolExecutor | None = None
_logs: Queue[logging.LogRecord] | None = None


class CpuLaneError(RuntimeError):
    """The worker process stopped before it answered."""


def _exit_with_parent(sentinel: int) -> None:
    wait([sentinel])
    os._exit(0)


def _worker_started(logs: Queue[logging.LogRecord], level: int) -> None:
    """In the worker, before its first step: ignore Ctrl-C, end with the bot, and send log
    records to the bot's process, whose handlers format (and scrub) them like its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(logs)]
    root.setLevel(level)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent.sentinel,), daemon=True).start()


def _forward(logs: Queue[logging.LogRecord]) -> None:
    """In the bot's process: each record the worker logged, to the logger that it names."""
    while True:
        record = logs.get()
        logging.getLogger(record.name).handle(record)


def _current() -> ProcessPoolExecutor:
    global _lane, _logs
    if _lane is None:
        # spawn, not fork: the bot has threads (store writers, HTTP), and a forked child can
        # inherit a lock one of them held.
        context = multiprocessing.get_context("spawn")
        if _logs is None:
            _logs = context.Queue()
            threading.Thread(target=_forward, args=(_logs,), name="cpu-logs", daemon=True).start()
        _lane = ProcessPoolExecutor(
            1,
            mp_context=context,
            initializer=_worker_started,
            initargs=(_logs, logging.getLogger().getEffectiveLevel()),
        )
    return _lane


def _discard(lane: ProcessPoolExecutor) -> None:
    """Forget a lane whose process died; the first step to notice says so in the log."""
    global _lane
    if _lane is lane:
        _lane = None
        lane.shutdown(wait=False, cancel_futures=True)
        logger.error("the CPU worker process stopped; the next step starts a new one")


async def on_cpu(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`func(*args, **kwargs)` in the worker process, awaited without holding the event loop."""
    lane = _current()
    try:
        return await asyncio.wrap_future(lane.submit(func, *args, **kwargs))
    except BrokenProcessPool as error:
        _discard(lane)
        raise CpuLaneError(f"the CPU worker process stopped during {func.__name__}") from error
