"""The sender, end to end: outbox entries queued as a poll queues them, sent by the real bot to
the fake Bot API, with Telegram's answers (429, 502, 403, migration, refused HTML, topics), and
`newswatch run` processes killed with SIGKILL or stopped with SIGTERM in the middle of a fan-out.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.delivery import CONCURRENCY, Sender
from bot.store import Chat, OutboxStatus, Outcome, Store, WatchEntry
from fakes import DEFAULT_TOKEN, OFFLINE, ROOT, FakeTelegram, FeedServer, Item, SentRecord, make_rss
from tests.conftest import BotHarness, until
from watchers.models import Alert, PollOutcome, Report, SourceState

KEYWORD = "Lachin"
LONG_AGO = datetime.now(UTC) - timedelta(days=2)


def _report(tag: str, *, title: str | None = None, outlet: str = "Test Wire") -> Report:
    url = f"https://wire.test/{tag}"
    return Report(
        id=url,
        url=url,
        canonical_url=url,
        title=title or f"Convoy reaches Lachin ({tag})",
        text="A convoy reached Lachin.",
        published=datetime.now(UTC),
        outlet=outlet,
        domain="wire.test",
    )


async def _watchers(
    store: Store, chat_ids: Iterable[int], *, kind: str = "private", thread: int | None = None
) -> None:
    for chat_id in chat_ids:
        await store.chats.save(
            Chat(chat_id, kind=kind, watches=[WatchEntry(KEYWORD, LONG_AGO, thread)])
        )


async def _queue(
    harness: BotHarness, reports: list[Report], chat_ids: Iterable[int], summary: str = ""
) -> None:
    """Queue the reports for the chats exactly as a poll does, and wake the sender."""
    assert harness.store is not None
    alerts = [
        Alert(chat_id, report, KEYWORD, KEYWORD, summary or "A convoy reached Lachin.")
        for report in reports
        for chat_id in chat_ids
    ]
    outcome = PollOutcome("test", SourceState(), datetime.now(UTC), reports, reports, alerts)
    queued = await harness.store.polls.record_poll(outcome)
    assert len(queued) == len(alerts)
    if harness.application is not None and harness.application.bot_data.sender is not None:
        harness.application.bot_data.sender.wake()


def _alerts(telegram: FakeTelegram, since: int = 0) -> list[SentRecord]:
    return [r for r in telegram.sent[since:] if r.method == "sendMessage" and "Convoy" in r.text]


async def _swap_sender(harness: BotHarness, **options: Any) -> Sender:
    """Replace the running sender by one with other limits (e.g. no per-chat gap)."""
    assert harness.application is not None
    assert harness.store is not None
    data = harness.application.bot_data
    assert data.sender is not None
    await data.sender.stop()
    sender = Sender(harness.application.bot, harness.store, **options)
    sender.start()
    data.sender = sender
    return sender


def _outbox(settings: Settings) -> list[tuple[int, str, str, str | None]]:
    with sqlite3.connect(settings.data_dir / "newswatch.sqlite3") as db:
        rows = db.execute("SELECT chat_id, report_id, status, last_error FROM outbox").fetchall()
    db.close()
    return rows


async def _settled(harness: BotHarness, settings: Settings) -> None:
    """Wait until every alert's outcome is recorded (none pending, so none left to try again)
    and then a pass of the sender has found nothing to send: from then on it sends nothing
    until something new is queued."""
    await until(
        lambda: all(status != "pending" for *_, status, _ in _outbox(settings)),
        "every outcome recorded",
    )
    await harness.sender_idle()


# Fan-out and Telegram's answers --------------------------------------------------------------


async def test_one_alert_to_many_chats_reaches_each_once_and_is_marked_sent(
    bot_harness: BotHarness, telegram: FakeTelegram, settings: Settings
) -> None:
    chats = range(2001, 2041)
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, chats)
    await _queue(bot_harness, [_report("a")], chats)
    await until(lambda: len(_alerts(telegram)) >= 40, "40 alerts")
    await until(lambda: {s for *_, s, _ in _outbox(settings)} == {"sent"}, "all marked")
    assert sorted(r.chat_id for r in _alerts(telegram)) == list(chats)
    assert not [r for r in telegram.requests if r.status == 429]


async def test_an_outage_loses_nothing_answers_commands_after_and_drains_oldest_first(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    chats = list(range(2001, 2011))
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, chats)
    telegram.set_outage(502)
    mark = telegram.request_mark()
    await _queue(bot_harness, [_report("older")], chats)

    def failed_sends() -> int:
        return sum(
            1 for r in telegram.requests[mark:] if r.method == "sendMessage" and r.status == 502
        )

    await until(lambda: failed_sends() >= 2, "sends failing with 502")
    await _queue(bot_harness, [_report("newer")], chats)
    pushed = telegram.request_mark()
    telegram.push_message(chats[0], "/list")  # a command sent while Telegram is down
    # The bot has tried to fetch it, and failed, while Telegram was down:
    await telegram.wait_for_request("getUpdates", since=pushed, status=502, timeout=10)
    sent_mark = telegram.mark()
    telegram.set_outage(None)
    await until(lambda: len(_alerts(telegram)) >= 20, "both alerts to every chat")
    reply = await telegram.wait_for_sent(  # PTB's getUpdates backs off up to 1.5x a try
        lambda r: "Watchlist" in r.text, chat_id=chats[0], since=sent_mark, timeout=15
    )
    assert len(reply) == 1
    alerts = _alerts(telegram)
    assert Counter((r.chat_id, "older" in r.text) for r in alerts) == Counter(
        {(chat, older): 1 for chat in chats for older in (True, False)}
    )
    assert "older" in alerts[0].text  # the backlog drains oldest first
    for chat in chats:
        texts = [r.text for r in alerts if r.chat_id == chat]
        assert "older" in texts[0]
        assert "newer" in texts[1]


async def test_rate_limits_are_waited_out_and_nothing_is_dropped(
    settings: Settings, tmp_path: Path
) -> None:
    with FakeTelegram(per_chat_burst=None, global_rate=4.0) as slow:
        harness = BotHarness(slow, _settings_for(settings, slow))
        assert harness.store is not None
        chats = range(2001, 2013)
        await _watchers(harness.store, chats)
        await harness.start()
        try:
            await _queue(harness, [_report("a")], chats)
            await until(lambda: len(_alerts(slow)) >= 12, "12 alerts", timeout=20)
            await _settled(harness, settings)  # no 429 leads to a second copy
            assert sorted(r.chat_id for r in _alerts(slow)) == list(chats)
            assert any(r.status == 429 for r in slow.requests)  # the limit was really hit
        finally:
            await harness.stop()


def _settings_for(settings: Settings, telegram: FakeTelegram) -> Settings:
    from dataclasses import replace

    return replace(settings, api_base_url=telegram.base_url)


async def test_a_group_gets_at_most_20_alerts_a_minute_and_the_rest_wait(
    bot_harness: BotHarness, telegram: FakeTelegram, settings: Settings
) -> None:
    group, person = -600, 2001
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, [group], kind="group")
    await _watchers(bot_harness.store, [person])
    await _swap_sender(bot_harness, chat_gap=0.0)
    await _queue(bot_harness, [_report(f"g{n}") for n in range(25)], [group, person])
    await until(lambda: len([r for r in _alerts(telegram) if r.chat_id == person]) == 25, "25")
    await bot_harness.sender_idle()  # it has held the group's last five back, not sent them
    to_group = [r for r in _alerts(telegram) if r.chat_id == group]
    assert len(to_group) == 20  # the other five wait for the minute to pass; the person did not
    statuses = Counter(s for chat, _, s, _ in _outbox(settings) if chat == group)
    assert statuses == {"sent": 20, "pending": 5}


async def test_a_blocked_chat_is_set_aside_with_its_reason_until_it_sends_start(
    bot_harness: BotHarness, telegram: FakeTelegram, settings: Settings
) -> None:
    blocked, others = 2001, [2002, 2003]
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, [blocked, *others])
    telegram.block_chat(blocked)
    await _queue(bot_harness, [_report("a")], [blocked, *others])
    await until(lambda: len(_alerts(telegram)) == 2, "the others' alerts")
    await until(
        lambda: (
            bot_harness.store is not None
            and (chat := bot_harness.store.chats.get(blocked)) is not None
            and bool(chat.unreachable)
        ),
        "the chat marked unreachable",
    )
    # no new alerts are matched for it
    assert bot_harness.store.chats.subscriptions()
    assert all(s.chat_id != blocked for s in bot_harness.store.chats.subscriptions())
    await _settled(bot_harness, settings)  # the alert set aside is not tried again
    attempts = [r for r in telegram.requests if r.method == "sendMessage" and r.status == 403]
    assert len(attempts) == 1  # not retried on every alert

    telegram.unblock_chat(blocked)
    [listing] = await bot_harness.send(blocked, "/list")
    assert "Lachin" in listing.text
    assert "bot was blocked by the user" in listing.text
    [hint] = await bot_harness.send(blocked, "/watch Karabakh")
    assert "send /start to turn them on" in hint.text
    mark = telegram.mark()
    await bot_harness.send(blocked, "/start")
    [late] = await telegram.wait_for_sent(lambda r: "Convoy" in r.text, chat_id=blocked, since=mark)
    assert "Lachin" in late.text
    [listing] = await bot_harness.send(blocked, "/list")
    assert "Alerts: on" in listing.text


async def test_a_chat_telegram_no_longer_knows_is_set_aside_too(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, [-700], kind="group")
    telegram.delete_chat(-700)
    await _queue(bot_harness, [_report("a")], [-700])
    await until(
        lambda: (
            (chat := bot_harness.store.chats.get(-700)) is not None  # type: ignore[union-attr]
            and "chat not found" in chat.unreachable.lower()
        ),
        "the chat marked unreachable",
    )
    # The outcome is committed after the chat is marked: wait for it, then check nothing else.
    for _ in range(500):
        if Counter(await bot_harness.store.outbox.counts()) == {"held": 1}:
            break
        await asyncio.sleep(0.02)
    assert Counter(await bot_harness.store.outbox.counts()) == {"held": 1}


async def test_a_group_that_became_a_supergroup_gets_the_alert_at_its_new_id(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    old, new = -500, -100500
    [answer] = await bot_harness.send(old, "/watch Lachin", chat_type="group", anonymous_admin=True)
    assert "Lachin" in answer.text
    telegram.migrate_chat(old, new, notify=False)  # the bot learns of it from sendMessage
    await _queue(bot_harness, [_report("a")], [old])
    [alert] = await telegram.wait_for_sent(lambda r: "Convoy" in r.text, chat_id=new)
    assert "Lachin" in alert.text
    [listing] = await bot_harness.send(new, "/list", chat_type="supergroup", anonymous_admin=True)
    assert "Lachin" in listing.text
    assert "not subscribed" not in listing.text
    assert bot_harness.store is not None
    assert bot_harness.store.chats.get(old) is None


async def test_the_migration_notice_moves_the_watchlist_before_any_alert(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    old, new = -501, -100501
    await bot_harness.send(old, "/watch Karabakh", chat_type="group", anonymous_admin=True)
    telegram.migrate_chat(old, new)
    [listing] = await bot_harness.send(new, "/list", chat_type="supergroup", anonymous_admin=True)
    assert "Karabakh" in listing.text


async def test_html_telegram_refuses_is_sent_again_as_plain_text(
    bot_harness: BotHarness, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "bot.delivery.sender.render_alert", lambda alert: f"<b>{alert.report.title}"
    )
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, [2001])
    await _queue(bot_harness, [_report("a")], [2001])
    [alert] = await telegram.wait_for_sent(lambda r: "Convoy" in r.text, chat_id=2001)
    assert alert.parse_mode is None
    assert not alert.entities
    assert "https://wire.test/a" in alert.text
    assert "Lachin" in alert.text
    refused = [r for r in telegram.requests if r.method == "sendMessage" and r.status == 400]
    assert len(refused) == 1


async def test_another_refusal_is_kept_with_its_reason_and_not_retried(
    bot_harness: BotHarness, telegram: FakeTelegram, settings: Settings
) -> None:
    channel = -100900
    telegram.add_channel(channel, "readonlynews", bot_can_post=False)
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, [channel], kind="channel")
    await _queue(bot_harness, [_report("a")], [channel])
    await until(lambda: any(s == "failed" for *_, s, _ in _outbox(settings)), "failed")
    await _settled(bot_harness, settings)  # the refused alert is not tried again
    [(_, _, status, reason)] = _outbox(settings)
    assert status == "failed"
    assert reason is not None
    assert "administrator rights" in reason
    tries = [r for r in telegram.requests if r.params.get("chat_id") == channel]
    assert len(tries) == 1


async def test_a_watch_set_in_a_forum_topic_is_alerted_into_that_topic(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    forum = -100777
    telegram.add_forum(forum, [5, 9])
    mark = telegram.mark()
    telegram.push_message(
        forum, "/watch Lachin", chat_type="supergroup", anonymous_admin=True, thread_id=5
    )
    [answer] = await telegram.wait_for_sent(since=mark, chat_id=forum)
    assert "Lachin" in answer.text
    await _queue(bot_harness, [_report("a")], [forum])
    [alert] = await telegram.wait_for_sent(lambda r: "Convoy" in r.text, chat_id=forum)
    assert alert.thread_id == 5
    telegram.close_topic(forum, 5)  # the topic is deleted: alerts still reach the group
    await _queue(bot_harness, [_report("b")], [forum])
    [_, alert] = await telegram.wait_for_sent(lambda r: "Convoy" in r.text, chat_id=forum, count=2)
    assert alert.thread_id is None
    assert "(b)" in alert.text


async def test_hostile_fields_reach_the_chat_through_the_sender_in_one_message(
    bot_harness: BotHarness, telegram: FakeTelegram
) -> None:
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, [2001])
    hostile = _report(
        "x?a=1&b=<2>",
        title='Convoy </b><a href="javascript:x">&amp; A&B <i>\u202eLachin\u202c' + "é" * 900,
        outlet="O" * 5000,
    )
    await _queue(bot_harness, [hostile], [2001], summary="Lachin & <b>" + "word " * 2000)
    [alert] = await telegram.wait_for_sent(lambda r: "Convoy" in r.text, chat_id=2001)
    assert alert.parse_mode == "HTML"
    assert len(alert.text) <= 4096
    assert "</b><a href" in alert.text  # shown as written, not taken as markup
    links = [e["url"] for e in alert.entities if e["type"] == "text_link"]
    assert links == ["https://wire.test/x?a=1&b=<2>"]  # the link is never trimmed


# Stopping and crashing ----------------------------------------------------------------------


async def test_stop_finishes_what_is_in_flight_and_a_restart_sends_the_rest(
    bot_harness: BotHarness, telegram: FakeTelegram, settings: Settings
) -> None:
    chats = list(range(3001, 3061))
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, chats)
    await _queue(bot_harness, [_report("a")], chats)
    await until(lambda: len(_alerts(telegram)) >= 10, "the fan-out to start")
    await bot_harness.stop()
    stopped_at = len(_alerts(telegram))
    assert stopped_at < len(chats)
    # The stopped bot closed its connections: once the fake has answered what they carried,
    # nothing more can arrive from it.
    await until(lambda: telegram.open_connections == 0, "the stopped bot's requests answered")
    assert len(_alerts(telegram)) == stopped_at  # nothing sent after the stop
    await bot_harness.start()
    await until(lambda: len({r.chat_id for r in _alerts(telegram)}) == len(chats), "every chat")
    await _settled(bot_harness, settings)  # and nothing sent twice
    counts = Counter(r.chat_id for r in _alerts(telegram))
    assert set(counts) == set(chats)
    assert max(counts.values()) == 1  # a clean stop repeats none


async def test_a_poll_stuck_in_a_slow_fetch_does_not_hold_the_stop(
    telegram: FakeTelegram, feeds: FeedServer, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    caplog.set_level(logging.INFO, logger="bot.jobs")
    feeds.set("/slow.xml", make_rss([Item("Weather", "https://wire.test/w")]), delay=20.0)
    harness = BotHarness(
        telegram, replace(settings, feeds=(feeds.url("/slow.xml"),), poll_seconds=1)
    )
    await harness.start()
    try:
        await until(lambda: len(feeds.requests) >= 1, "the slow fetch to start")
    finally:
        began = time.monotonic()
        await harness.stop()
    assert time.monotonic() - began < 5.0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # a stop, not a failure
    assert any("cancelled" in r.getMessage() for r in caplog.records)


# A real process, killed -----------------------------------------------------------------------

FAN_OUT = 60


@pytest.fixture
def fan_out(tmp_path: Path) -> Iterator[tuple[FakeTelegram, FeedServer, dict[str, str]]]:
    """A fake Telegram, a feed, and a data directory where FAN_OUT chats watch Lachin."""
    store = Store.open(tmp_path / "data")
    asyncio.run(_fill(store))
    with FakeTelegram(per_chat_burst=None) as telegram, FeedServer() as feeds:
        old = datetime.now(UTC) - timedelta(hours=3)
        feeds.set(
            "/wire.xml", make_rss([Item("Weather in Tbilisi", "https://wire.test/w", "", old)])
        )
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "NEWSWATCH_DATA_DIR": str(tmp_path / "data"),
            **OFFLINE,
            "NEWSWATCH_FEEDS": feeds.url("/wire.xml"),
            "NEWSWATCH_POLL_SECONDS": "1",
            "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
        }
        yield telegram, feeds, env


async def _fill(store: Store) -> None:
    await _watchers(store, range(5001, 5001 + FAN_OUT))
    await store.close()


def _start(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(condition: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        time.sleep(0.01)


def _all_recorded(data_dir: Path) -> bool:
    """Whether every alert in the running bot's outbox has its outcome recorded: none is left
    to send or in flight (a send in flight stays pending until its outcome is committed)."""
    with sqlite3.connect(data_dir / "newswatch.sqlite3", timeout=10) as db:
        (pending,) = db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetchone()
    db.close()
    return pending == 0


def _publish_when_polled(feeds: FeedServer) -> None:
    """After the source's first poll (which only stores), put the alerting report on it."""
    _wait(lambda: len(feeds.requests) >= 2)
    feeds.set(
        "/wire.xml",
        make_rss([Item("Convoy reaches Lachin", "https://wire.test/convoy", "A convoy.")]),
    )


def test_kill_9_during_a_fan_out_then_restarts_deliver_every_alert(
    fan_out: tuple[FakeTelegram, FeedServer, dict[str, str]], tmp_path: Path
) -> None:
    telegram, feeds, env = fan_out
    process = _start(env, tmp_path)
    kills = 0
    try:
        _publish_when_polled(feeds)
        for reached in (8, 30):

            def alerted(n: int = reached) -> bool:
                return len({r.chat_id for r in _alerts(telegram)}) >= n

            _wait(alerted)
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=10)
            kills += 1
            process = _start(env, tmp_path)
        _wait(lambda: len({r.chat_id for r in _alerts(telegram)}) == FAN_OUT)
        _wait(lambda: _all_recorded(tmp_path / "data"))  # no repeat left to go out
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    counts = Counter(r.chat_id for r in _alerts(telegram))
    assert set(counts) == set(range(5001, 5001 + FAN_OUT))  # nothing lost
    repeats = sum(counts.values()) - FAN_OUT
    assert repeats <= kills * CONCURRENCY, counts  # only what was in flight at each kill
    assert "Traceback" not in stderr


def test_sigterm_stops_within_5_seconds_and_the_next_start_sends_the_rest(
    fan_out: tuple[FakeTelegram, FeedServer, dict[str, str]], tmp_path: Path
) -> None:
    telegram, feeds, env = fan_out
    process = _start(env, tmp_path)
    try:
        _publish_when_polled(feeds)
        _wait(lambda: len(_alerts(telegram)) >= 10)
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        took = time.monotonic() - began
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.communicate(timeout=10)
    assert process.returncode == 0, (took, stderr[-2000:])
    assert took < 5.0, (took, stderr[-2000:])
    sent_before = len(_alerts(telegram))
    assert sent_before < FAN_OUT
    process = _start(env, tmp_path)
    try:
        _wait(lambda: len({r.chat_id for r in _alerts(telegram)}) == FAN_OUT)
        _wait(lambda: _all_recorded(tmp_path / "data"))  # no repeat left to go out
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    counts = Counter(r.chat_id for r in _alerts(telegram))
    assert set(counts) == set(range(5001, 5001 + FAN_OUT))
    assert max(counts.values()) == 1


# The outbox's bookkeeping and the plain-text form ---------------------------------------------


async def test_done_entries_are_pruned_and_pending_ones_kept() -> None:
    store = Store.in_memory()
    try:
        await _watchers(store, [1, 2])
        report = _report("a")
        alerts = [Alert(chat, report, KEYWORD, KEYWORD, "s") for chat in (1, 2)]
        outcome = PollOutcome("t", SourceState(), datetime.now(UTC), [report], [report], alerts)
        await store.polls.record_poll(outcome)
        await store.outbox.finish([Outcome(1, report.id, OutboxStatus.SENT)])
        assert await store.outbox.prune_done(datetime.now(UTC) + timedelta(seconds=1)) == 1
        assert await store.outbox.counts() == {"pending": 1}
        assert [a.chat_id for a in await store.outbox.pending(10)] == [2]
    finally:
        await store.close()


async def test_alerts_set_aside_too_long_ago_are_dropped_when_the_chat_comes_back() -> None:
    store = Store.in_memory()
    try:
        await _watchers(store, [1])
        reports = [_report("a"), _report("b")]
        alerts = [Alert(1, r, KEYWORD, KEYWORD, "s") for r in reports]
        outcome = PollOutcome("t", SourceState(), datetime.now(UTC), reports, reports, alerts)
        await store.polls.record_poll(outcome)
        assert await store.set_unreachable(1, "Forbidden: user is deactivated") == 2
        assert not store.chats.subscriptions()
        assert await store.outbox.pending(10) == []
        assert await store.reopen_chat(1, datetime.now(UTC) + timedelta(seconds=1)) == 0
        assert await store.outbox.counts() == {"dropped": 2}
        chat = store.chats.get(1)
        assert chat is not None
        assert chat.unreachable == ""
        assert chat.alerts_on
    finally:
        await store.close()


def test_the_plain_text_form_keeps_the_whole_link_and_fits_one_message() -> None:
    from bot.render import render_alert_plain

    url = "https://wire.test/" + "a" * 3500
    report = Report(id=url, url=url, canonical_url=url, title="T" * 1000, outlet="O" * 5000)
    text = render_alert_plain(Alert(1, report, KEYWORD, "Laçın", "word " * 3000))
    assert url in text.split("\n")
    assert len(text.encode("utf-16-le")) // 2 <= 4096
