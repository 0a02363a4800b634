"""Shared fixtures: a fake Telegram server, and the real bot application polling it.

`bot_harness` builds the application exactly as `newswatch run` does (`build_application`) and
starts it the way `Application.run_polling` does (initialize, post_init, start polling, start),
so handlers, the rate limiter and the job queue all run for real against HTTP on 127.0.0.1.
"""

from __future__ import annotations

import os

# PTB warns that RetryAfter.retry_after will become a timedelta unless this is set; the suite turns
# warnings into errors, and the rate limiter creates RetryAfter on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.store import Store
from fakes import DEFAULT_TOKEN, ROOT, FakeTelegram, FeedServer, SentRecord
from watchers.cpu import CpuLaneError, on_cpu

SHARED = ROOT.parent / "shared"
FIXTURES = ROOT / "tests" / "fixtures"


def run_newswatch(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` as a user would, in `cwd`, with only the given environment."""
    base = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "NEWSWATCH_DATA_DIR": str(cwd / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=120,
        check=False,
    )


async def kill_cpu_worker() -> int:
    """Kill the CPU worker process as the OOM killer would; returns the new worker's pid once
    the lane has noticed and started one."""
    dead = await on_cpu(os.getpid)
    os.kill(dead, signal.SIGKILL)
    for _ in range(100):
        try:
            pid = await on_cpu(os.getpid)
        except CpuLaneError:
            continue
        if pid != dead:
            return pid
        await asyncio.sleep(0.05)
    raise AssertionError("the CPU lane never replaced its killed worker")


async def until(
    condition: Callable[[], object],
    what: str,
    timeout: float = 10.0,  # noqa: ASYNC109 - a deadline the failure message names
) -> None:
    """Wait until `condition()` holds (looked at every 20 ms), or fail saying what was awaited."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


def kill_9_while_writing(module: str, *args: str, cwd: Path, seconds: float) -> None:
    """Run `python -m module args` until it prints "ready", let it write for `seconds` more,
    then SIGKILL it: what the crash tests then find on disk is what a power cut would leave."""
    writer = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        cwd=cwd,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline() == b"ready\n"
    time.sleep(seconds)  # the moment of the kill, chosen by the caller: not a wait for an event
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)
    writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL


def modules_imported_by(*modules: str) -> set[str]:
    """Every module that importing `modules` loads, in a fresh interpreter: what a layer depends
    on, whatever the test session has imported already."""
    imports = "; ".join(f"importlib.import_module({module!r})" for module in modules)
    code = f"import importlib, sys; {imports}; print(*sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    return set(done.stdout.split())


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or skip the test when that folder is not beside the repo."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared ships beside the repo in CI only)")
    return path


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    """A local HTTP server for feeds and article pages."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """A fake Bot API server; per-chat flood control is off unless a test turns it on."""
    with FakeTelegram(per_chat_burst=None) as server:
        yield server


class BotHarness:
    """The real application, polling the fake server, with helpers to talk to it like a user."""

    def __init__(self, telegram: FakeTelegram, settings: Settings) -> None:
        self.telegram = telegram
        self.settings = settings
        self.store: Store | None = Store.open(settings.data_dir)  # tests may fill it before start()
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None

    async def start(self) -> None:
        """Start the bot on the data directory; after a stop this is a restart."""
        if self.store is None:
            self.store = Store.open(self.settings.data_dir)
        app = build_application(self.settings, self.store)
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        self.application = app

    async def stop(self) -> None:
        app, self.application = self.application, None
        if app is None:
            return
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)  # closes the store
        self.store = None

    async def send(
        self, chat_id: int, text: str, *, count: int = 1, **kwargs: Any
    ) -> list[SentRecord]:
        """Send a message as a user and return the bot's answer(s) in that chat."""
        mark = self.telegram.mark()
        self.telegram.push_message(chat_id, text, **kwargs)
        return await self.telegram.wait_for_sent(since=mark, count=count, chat_id=chat_id)

    async def sender_idle(self) -> None:
        """Wait until a pass of the sender that began after this call found nothing it may send,
        with nothing in flight or awaiting its record: what has not gone out by then will not,
        until something new is queued or a held chat's time comes."""
        assert self.application is not None
        sender = self.application.bot_data.sender
        assert sender is not None
        begun = sender.passes
        sender.wake()
        await until(lambda: sender.last_idle_pass > begun, "the sender to have nothing to send")

    async def tap(self, chat_id: int, message_id: int, data: str, **kwargs: Any) -> None:
        """Tap an inline button and wait until the bot has answered the callback query."""
        answered = len(self.telegram.answered_callbacks)
        self.telegram.push_callback(chat_id, message_id, data, **kwargs)
        for _ in range(250):
            if len(self.telegram.answered_callbacks) > answered:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"the bot did not answer the callback {data!r}")


@pytest.fixture
def settings(telegram: FakeTelegram, tmp_path: Path) -> Settings:
    """Settings for the harness: the fake server, a file store in tmp_path, no news sources."""
    return replace(
        load_settings({"TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN}),
        api_base_url=telegram.base_url,
        data_dir=tmp_path / "data",
        admin_ids=frozenset({4242}),
        default_sources=False,
        google_news_url=None,
        gdelt_url=None,
    )


@pytest.fixture
async def bot_harness(telegram: FakeTelegram, settings: Settings) -> AsyncIterator[BotHarness]:
    harness = BotHarness(telegram, settings)
    await harness.start()
    yield harness
    await harness.stop()


@pytest.fixture(params=["memory", "dir"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A store in a temporary directory and one in a data directory: every store test runs on
    both."""
    opened = Store.in_memory() if request.param == "memory" else Store.open(tmp_path / "data")
    yield opened
    await opened.close()
