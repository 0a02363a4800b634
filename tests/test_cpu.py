"""The CPU worker: steps run in a child process that ends with the bot and is replaced if it
dies."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.logs import redact_secrets
from tests.conftest import kill_cpu_worker, modules_imported_by, until
from watchers.cpu import CpuLaneError, on_cpu


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting for a reaper does not)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"


def _ends(pid: int) -> bool:
    """Whether `pid` ends within 10 s. A process that ends closes its files before the kernel
    marks it ended, so on a busy machine it can be seen running after a pipe it held has closed."""
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not _alive(pid)


async def test_a_step_runs_in_another_process_and_keeps_its_errors() -> None:
    assert await on_cpu(os.getpid) != os.getpid()
    with pytest.raises(ValueError, match="invalid literal"):
        await on_cpu(int, "twelve")


async def test_the_worker_gets_none_of_the_bots_settings() -> None:
    """The token is in the bot's environment; the worker, which needs no setting, never has it."""
    os.environ["TELEGRAM_BOT_TOKEN"] = "123:secret"
    try:
        await kill_cpu_worker()  # the next worker starts with this environment
        assert await on_cpu(os.getenv, "TELEGRAM_BOT_TOKEN") is None
        assert await on_cpu(os.getenv, "PATH") == os.environ["PATH"]
    finally:
        del os.environ["TELEGRAM_BOT_TOKEN"]


async def test_what_cannot_be_sent_fails_at_once_and_what_cannot_come_back_fails_clearly() -> None:
    with pytest.raises((pickle.PicklingError, AttributeError)):
        await on_cpu(lambda: 1)
    with pytest.raises(RuntimeError, match="the answer could not be sent"):
        await on_cpu(threading.Lock)
    assert await on_cpu(int, "12") == 12


async def test_a_caller_that_stops_waiting_leaves_the_lane_working() -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(on_cpu(time.sleep, 0.3), 0.05)
    assert await on_cpu(int, "7") == 7


async def test_what_the_worker_logs_reaches_the_bots_log(caplog: pytest.LogCaptureFixture) -> None:
    await on_cpu(logging.getLogger("watchers.feeds").warning, "feed %s looks odd", "Wire")
    await until(lambda: "feed Wire looks odd" in caplog.text, "the worker's log line")
    [record] = [r for r in caplog.records if r.getMessage() == "feed Wire looks odd"]
    assert (record.name, record.levelname) == ("watchers.feeds", "WARNING")
    assert record.process == await on_cpu(os.getpid) != os.getpid()


async def test_what_the_worker_logs_is_scrubbed_of_secrets_like_the_bots_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    undo = redact_secrets(["123:s3cret"])
    try:
        await on_cpu(logging.getLogger("watchers.feeds").warning, "link %s", "x/123:s3cret/y")
        await until(lambda: "link x/" in caplog.text, "the worker's log line")
    finally:
        undo()
    assert "link x/[REDACTED]/y" in caplog.text
    assert "s3cret" not in caplog.text


async def test_a_killed_worker_fails_the_step_in_flight_and_the_next_one_gets_a_new_worker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = await on_cpu(os.getpid)
    in_flight = asyncio.ensure_future(on_cpu(time.sleep, 30))
    await asyncio.sleep(0.2)  # the worker has taken the step
    os.kill(worker, signal.SIGKILL)
    with pytest.raises(CpuLaneError, match="stopped during sleep"):
        await asyncio.wait_for(in_flight, 10)
    assert "the CPU worker process stopped" in caplog.text
    assert await on_cpu(os.getpid) not in (worker, os.getpid())


async def test_steps_queued_behind_one_that_stops_the_worker_go_to_a_new_one() -> None:
    worker = await on_cpu(os.getpid)
    running = asyncio.ensure_future(on_cpu(time.sleep, 30))
    queued = [asyncio.ensure_future(on_cpu(os.getpid)) for _ in range(3)]
    await asyncio.sleep(0.2)
    os.kill(worker, signal.SIGKILL)
    with pytest.raises(CpuLaneError, match="stopped during sleep"):
        await asyncio.wait_for(running, 10)
    pids = await asyncio.wait_for(asyncio.gather(*queued), 10)
    assert len(set(pids)) == 1
    assert pids[0] not in (worker, os.getpid())


async def test_a_step_that_runs_too_long_is_stopped_and_the_lane_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    worker = await on_cpu(os.getpid)
    monkeypatch.setattr("watchers.cpu.STEP_SECONDS", 0.4)
    began = time.monotonic()
    with pytest.raises(CpuLaneError, match="stopped during sleep"):
        await asyncio.wait_for(on_cpu(time.sleep, 30), 10)
    assert time.monotonic() - began < 5
    assert "sleep has run in the CPU worker for over 0 s" in caplog.text
    assert await on_cpu(os.getpid) != worker


async def test_the_worker_ignores_ctrl_c_the_bot_decides_when_to_stop() -> None:
    worker = await on_cpu(os.getpid)
    os.kill(worker, signal.SIGINT)  # what a terminal's Ctrl-C sends the whole process group
    # No wait is needed: the signal reaches the worker before it can read the next step (the
    # kernel delivers it on the way out of its blocking read), so a worker that took Ctrl-C as
    # KeyboardInterrupt is gone before it could answer this step.
    assert await on_cpu(os.getpid) == worker


async def test_the_helper_that_kills_the_worker_really_replaces_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, "watchers.cpu")
    worker = await on_cpu(os.getpid)
    assert await kill_cpu_worker() != worker
    assert not _alive(worker)


def test_the_worker_ends_with_the_bot_even_after_kill_9() -> None:
    """An orphaned worker would keep the matcher's memory forever."""
    script = (
        "import asyncio, os\n"
        "from watchers.cpu import on_cpu\n"
        "async def main():\n"
        "    print(await on_cpu(os.getpid), flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as bot:
        try:
            assert bot.stdout is not None
            worker = int(bot.stdout.readline())
            assert _alive(worker)
        finally:
            bot.kill()
    assert _ends(worker)


def test_a_worker_whose_bot_ends_mid_step_ends_quietly() -> None:
    """Its answer has nowhere to go: no traceback on the operator's terminal."""
    script = (
        "import asyncio, os, time\n"
        "from watchers.cpu import on_cpu\n"
        "async def main():\n"
        "    print(await on_cpu(os.getpid), flush=True)\n"
        "    asyncio.get_running_loop().create_task(on_cpu(time.sleep, 0.5))\n"
        "    await asyncio.sleep(0.1)\n"
        "asyncio.run(main())\n"
    )
    bot = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    # The captured stderr closed once the worker had closed its copy, in its exit, so it holds
    # all the worker wrote; the kernel may mark it ended a little later.
    assert bot.stderr == ""
    assert _ends(int(bot.stdout))


WORKER_STEPS = (
    "watchers.feeds",  # parse_feed, parse_google_news, parse_gdelt
    "watchers.extract",  # extract_article
    "watchers.matchlane",  # install_matcher, clean_and_match, match_installed, match_texts
    "watchers.summary",  # summarise, needs_article, clean_text
    "watchers.matching.places",  # place_vetoes
)


def test_the_workers_steps_load_no_http_client() -> None:
    """The feed parsers' package also held the feed source, so the worker loaded httpx (and
    with it about 10 MB) only to parse."""
    loaded = modules_imported_by(*WORKER_STEPS)
    assert "watchers.feeds.parse" in loaded  # the steps were really imported
    assert not {"httpx", "httpcore"} & loaded
