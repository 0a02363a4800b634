"""One worker process for the poll path's CPU-heavy steps (parsing, cleaning, matching, summaries).

Why a process: under the GIL, a worker thread only takes turns with the event loop, and each
time the loop gives the lock up for a system call it may wait a whole switch interval (5 ms) to
get it back. When 50 polls end together that added up: with these steps in one thread the loop
was held up to 150 to 230 ms in a busy cycle (`python -m bench.cycle`); in a process it never
shares the lock with them. One process, not a pool: the steps take turns among themselves, never
with the loop, and the matcher (most of a second to build for 10,000 chats) exists once, there
(`watchers.matchlane.MatcherCache`).

The worker is `python -m watchers.cpu`, spoken to over its stdin and stdout: each step is a
module-level function and plain data, pickled, and its result or exception comes back, as do the
worker's log records, which are made again in the bot's process so that its handlers format and
scrub them like its own. Three threads of the bot's process write, read and watch, so no step
waits on the event loop. The worker alone imports the parsers, gets none of the bot's settings
(the token never reaches it), ignores SIGINT and SIGTERM (a terminal's Ctrl-C and a service
manager's stop reach the whole process group; the bot decides how to stop) and ends when its
stdin does, which happens however the bot's process ends, kill -9 included.

If the worker dies (a crash in a C parser, the OOM killer) or one step runs past `STEP_SECONDS`
(then it is killed), the step it was running fails with `CpuLaneError`, and the steps queued
behind it go to a new worker.
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
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from logging.handlers import QueueHandler
from typing import IO, Any, ParamSpec, TypeVar

from watchers.heap import give_back

__all__ = ["STEP_SECONDS", "CpuLaneError", "on_cpu"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

STEP_SECONDS = 300.0
"""The longest one step may run before its worker is killed: longer than any step takes here
(the costliest matcher build measured, `bench.matching --worst`, took 186 s), so only a step
that would never end is stopped."""

_HEAD = struct.Struct(">QQc")  # payload size, step number, kind
_STEP, _OK, _ERROR, _LOG = b"s", b"o", b"e", b"l"
_LARGEST = 1 << 31  # no message is near this; a larger size means a garbled stream
_SETTINGS = ("TELEGRAM_", "NEWSWATCH_")  # the bot's settings in the environment


class CpuLaneError(RuntimeError):
    """The worker process stopped before it answered."""


def _write(pipe: IO[bytes], number: int, kind: bytes, payload: bytes) -> None:
    pipe.write(_HEAD.pack(len(payload), number, kind))
    pipe.write(payload)
    pipe.flush()


def _read(pipe: IO[bytes]) -> tuple[int, bytes, bytes] | None:
    """The next (number, kind, payload), or None once the other side has gone."""
    head = pipe.read(_HEAD.size)
    if len(head) < _HEAD.size:
        return None
    size, number, kind = _HEAD.unpack(head)
    if size > _LARGEST:
        raise ValueError(f"a message of {size} bytes: the stream is garbled")
    payload = pipe.read(size)
    return (number, kind, payload) if len(payload) == size else None


@dataclass(slots=True)
class _Step:
    future: Future[Any]
    name: str
    payload: bytes


def _remade(record: logging.LogRecord) -> logging.LogRecord:
    """A record from the worker made again by this process's factory, which scrubs secrets."""
    remade = logging.getLogRecordFactory()(
        record.name,
        record.levelno,
        record.pathname,
        record.lineno,
        record.getMessage(),
        None,
        None,
        record.funcName,
    )
    for name in ("created", "msecs", "relativeCreated", "process", "processName"):
        setattr(remade, name, getattr(record, name))
    return remade


class _Worker:
    """One worker process, the steps sent to it, and the threads that talk to it."""

    def __init__(self, handed_over: Iterable[_Step] = ()) -> None:
        # The worker imports what the bot imports, from the same places.
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SETTINGS)}
        env["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "watchers.cpu", str(logging.getLogger().getEffectiveLevel())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._numbers = itertools.count()
        self._pending: dict[int, _Step] = {}
        self._started = time.monotonic()  # when the oldest pending step began to run
        self._lock = threading.Lock()
        self._outgoing: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
        self.alive = True
        for step in handed_over:
            self._queue(step)
        for target in (self._send, self._receive, self._watch):
            threading.Thread(target=target, name=f"cpu{target.__name__}", daemon=True).start()

    def _queue(self, step: _Step) -> None:
        with self._lock:
            number = next(self._numbers)
            if not self._pending:
                self._started = time.monotonic()
            self._pending[number] = step
        self._outgoing.put((number, step.payload))

    def submit(self, func: Callable[..., T], args: Any, kwargs: Any) -> Future[T]:
        """Send one step; pickling happens here, so what cannot be sent fails at once."""
        payload = pickle.dumps((func, args, kwargs), pickle.HIGHEST_PROTOCOL)
        future: Future[T] = Future()
        future.set_running_or_notify_cancel()  # a caller that stops waiting cannot cancel it
        self._queue(_Step(future, func.__name__, payload))
        return future

    def _send(self) -> None:
        pipe = self._process.stdin
        assert pipe is not None
        with contextlib.suppress(OSError, ValueError):  # the worker is gone: see `_receive`
            while (item := self._outgoing.get()) is not None:
                number, payload = item
                _write(pipe, number, _STEP, payload)
        with contextlib.suppress(OSError):
            pipe.close()

    def _receive(self) -> None:
        pipe = self._process.stdout
        assert pipe is not None
        try:
            while (message := _read(pipe)) is not None:
                self._answer(*message)
        except Exception:
            logger.exception("the CPU worker process sent something unreadable; stopping it")
            self._process.kill()
        pipe.close()
        self._died(self._process.wait())

    def _answer(self, number: int, kind: bytes, payload: bytes) -> None:
        try:
            value = pickle.loads(payload)
        except Exception as error:  # noqa: BLE001 -- e.g. an exception class unknown here
            if kind == _LOG:
                logger.warning("a log record of the CPU worker could not be read: %r", error)
                return
            kind, value = _ERROR, CpuLaneError(f"an answer could not be read: {error!r}")
        if kind == _LOG:
            target = logging.getLogger(value.name)
            if target.isEnabledFor(value.levelno):
                try:
                    target.handle(_remade(value))
                except Exception:  # noqa: BLE001 -- a record that will not log is not fatal
                    logger.warning("a log record of the CPU worker could not be logged")
            return
        with self._lock:
            step = self._pending.pop(number)
            self._started = time.monotonic()  # the next step begins now
        if kind == _OK:
            step.future.set_result(value)
        else:
            step.future.set_exception(value)

    def _watch(self) -> None:
        """Kill the worker if one step runs past `STEP_SECONDS`."""
        while self.alive:
            time.sleep(min(1.0, STEP_SECONDS / 4))
            with self._lock:
                running = next(iter(self._pending.values()), None)
                late = running is not None and time.monotonic() - self._started > STEP_SECONDS
            if late and running is not None:
                logger.error(
                    "%s has run in the CPU worker for over %.0f s; stopping it",
                    running.name,
                    STEP_SECONDS,
                )
                self._process.kill()
                return

    def _died(self, code: int) -> None:
        """The step it was running fails (it may be what killed it); the rest go on elsewhere."""
        global _worker
        with _choosing, self._lock:
            self.alive = False
            steps = list(self._pending.values())
            self._pending.clear()
            if steps[1:]:
                _worker = _Worker(steps[1:])
        self._outgoing.put(None)  # ends `_send`
        if not steps:
            logger.error("the CPU worker process stopped (exit code %s) while idle", code)
            return
        running, queued = steps[0], len(steps) - 1
        logger.error(
            "the CPU worker process stopped (exit code %s) during %s; %d queued steps go on "
            "in a new one",
            code,
            running.name,
            queued,
        )
        running.future.set_exception(
            CpuLaneError(f"the CPU worker process stopped during {running.name}")
        )


_worker: _Worker | None = None
_choosing = threading.Lock()


async def on_cpu(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`func(*args, **kwargs)` in the worker process, awaited without holding the event loop."""
    global _worker
    with _choosing:
        if _worker is None or not _worker.alive:
            _worker = _Worker()
        future = _worker.submit(func, args, kwargs)
    return await asyncio.wrap_future(future)


def _serve(level: int) -> None:
    """The worker: run each step read from stdin and write its outcome to stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    incoming = sys.stdin.buffer
    outgoing = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answers
    sending = threading.Lock()

    def send(number: int, kind: bytes, value: object) -> None:
        payload = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        with sending:
            try:
                _write(outgoing, number, kind, payload)
            except OSError:  # the bot has gone while this step ran: nobody is left to tell
                os._exit(0)

    class Records:
        """Where `QueueHandler` puts each record, made picklable: straight to the bot."""

        def put_nowait(self, record: logging.LogRecord) -> None:
            send(0, _LOG, record)

    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(Records())]  # type: ignore[arg-type]
    root.setLevel(level)
    while (message := _read(incoming)) is not None:
        _answer(send, message[0], message[2])
        message = None  # the step's input too, before the memory it took is given back
        give_back()  # else the worker keeps what its largest step ever took (~0.2 ms)


def _answer(send: Callable[[int, bytes, object], None], number: int, payload: bytes) -> None:
    """Run one step and send its result or exception back."""
    try:
        func, args, kwargs = pickle.loads(payload)
        kind, value = _OK, func(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 -- the step's own failure, for its caller
        kind, value = _ERROR, error
    try:
        send(number, kind, value)
    except Exception as error:  # noqa: BLE001 -- an answer that does not pickle
        send(number, _ERROR, RuntimeError(f"the answer could not be sent: {error!r}"))


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
