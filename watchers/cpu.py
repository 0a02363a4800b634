"""One worker process for the poll path's CPU-heavy steps (parsing, cleaning, matching, summaries).

Why a process: under the GIL, a worker thread only takes turns with the event loop, and each
time the loop gives the lock up for a system call it may wait a whole switch interval (5 ms) to
get it back. When 50 polls end together that added up: with these steps in one thread the loop
was held up to 150–230 ms in a busy cycle (`python -m bench.cycle`); in a process it never
shares the lock with them. One process, not a pool: the steps take turns among themselves, never
with the loop, and the matcher (most of a second to build for 10,000 chats) exists once, there
(`watchers.poll.MatcherCache`).

The worker is `python -m watchers.cpu`, spoken to over its stdin and stdout in length-prefixed
pickles: each step is a module-level function and plain data, and its result or exception comes
back, as do the worker's log records, which the bot's own handlers then format (and scrub). Two
threads of the bot's process write and read the pipes, so no step waits on the event loop. The
worker alone imports the parsers. It ignores SIGINT (Ctrl-C in a terminal reaches the whole
process group; the bot decides how to stop) and ends when its stdin does, which happens however
the bot's process ends, kill -9 included. If it dies (a crash in a C parser, the OOM killer), the
steps in flight fail with `CpuLaneError` and the next step starts a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from logging.handlers import QueueHandler
from typing import IO, Any, ParamSpec, TypeVar

__all__ = ["CpuLaneError", "on_cpu"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_HEADER = 8  # bytes of length before each message
_SETTINGS = ("TELEGRAM_", "NEWSWATCH_")  # the bot's settings in the environment


class CpuLaneError(RuntimeError):
    """The worker process stopped before it answered."""


def _write(pipe: IO[bytes], data: bytes) -> None:
    pipe.write(len(data).to_bytes(_HEADER, "big"))
    pipe.write(data)
    pipe.flush()


def _read(pipe: IO[bytes]) -> bytes | None:
    """The next message, or None once the other side has gone."""
    header = pipe.read(_HEADER)
    if len(header) < _HEADER:
        return None
    size = int.from_bytes(header, "big")
    data = pipe.read(size)
    return data if len(data) == size else None


class _Worker:
    """The worker process, the steps it has been sent, and the two threads that talk to it."""

    def __init__(self) -> None:
        # The worker imports what the bot imports, from the same places. It needs none of the
        # bot's settings, so the token and keys among them never reach it.
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SETTINGS)}
        env["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "watchers.cpu", str(logging.getLogger().getEffectiveLevel())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._numbers = itertools.count()
        self._pending: dict[int, tuple[Future[Any], str]] = {}
        self._lock = threading.Lock()
        self._outgoing: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self.alive = True
        threading.Thread(target=self._send, name="cpu-send", daemon=True).start()
        threading.Thread(target=self._receive, name="cpu-receive", daemon=True).start()

    def submit(self, func: Callable[..., T], args: Any, kwargs: Any) -> Future[T]:
        """Send one step; pickling happens here, so what cannot be sent fails at once."""
        payload = pickle.dumps((func, args, kwargs), pickle.HIGHEST_PROTOCOL)
        future: Future[T] = Future()
        future.set_running_or_notify_cancel()  # a caller that stops waiting cannot cancel it
        with self._lock:
            if not self.alive:
                raise CpuLaneError(f"the CPU worker process stopped before {func.__name__}")
            number = next(self._numbers)
            self._pending[number] = future, func.__name__
        self._outgoing.put(pickle.dumps((number, payload), pickle.HIGHEST_PROTOCOL))
        return future

    def _send(self) -> None:
        pipe = self._process.stdin
        assert pipe is not None
        try:
            while data := self._outgoing.get():
                _write(pipe, data)
        except (OSError, ValueError):  # the worker is gone: `_receive` fails what was pending
            pass
        with contextlib.suppress(OSError):
            pipe.close()

    def _receive(self) -> None:
        assert self._process.stdout is not None
        while (data := _read(self._process.stdout)) is not None:
            kind, number, payload = pickle.loads(data)
            try:
                value = pickle.loads(payload)
            except Exception as error:  # noqa: BLE001 -- e.g. an exception class unknown here
                kind, value = "error", CpuLaneError(f"an answer could not be read: {error!r}")
            if kind == "log":
                logging.getLogger(value.name).handle(value)
                continue
            with self._lock:
                future, _ = self._pending.pop(number)
            if kind == "ok":
                future.set_result(value)
            else:
                future.set_exception(value)
        self._process.stdout.close()
        code = self._process.wait()
        with self._lock:
            self.alive = False
            pending, self._pending = self._pending, {}
        self._outgoing.put(b"")  # ends `_send`
        logger.error(
            "the CPU worker process stopped (exit code %s); the next step starts a new one", code
        )
        for future, name in pending.values():
            future.set_exception(CpuLaneError(f"the CPU worker process stopped during {name}"))


_worker: _Worker | None = None
_starting = threading.Lock()


async def on_cpu(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`func(*args, **kwargs)` in the worker process, awaited without holding the event loop."""
    global _worker
    with _starting:
        if _worker is None or not _worker.alive:
            _worker = _Worker()
        worker = _worker
    return await asyncio.wrap_future(worker.submit(func, args, kwargs))


def _serve(level: int) -> None:
    """The worker: run each step read from stdin and write its outcome to stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    incoming = sys.stdin.buffer
    outgoing = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answers
    sending = threading.Lock()

    def send(kind: str, number: int, value: object) -> None:
        payload = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        data = pickle.dumps((kind, number, payload), pickle.HIGHEST_PROTOCOL)
        with sending:
            _write(outgoing, data)

    class Records:
        """Where `QueueHandler` puts each record, made picklable: straight to the bot."""

        def put_nowait(self, record: logging.LogRecord) -> None:
            send("log", 0, record)

    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(Records())]  # type: ignore[arg-type]
    root.setLevel(level)
    while (data := _read(incoming)) is not None:
        number, payload = pickle.loads(data)
        try:
            func, args, kwargs = pickle.loads(payload)
            kind, value = "ok", func(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 -- the step's own failure, for its caller
            kind, value = "error", error
        try:
            send(kind, number, value)
        except Exception as error:  # noqa: BLE001 -- an answer that does not pickle
            send("error", number, RuntimeError(f"the answer could not be sent: {error!r}"))


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
