"""End to end: feeds on a local server, the bot's JobQueue polling them, alerts in the fake
Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest

from bot.config import Settings
from fakes import FakeTelegram, FeedServer, Item, make_rss
from tests.conftest import FIXTURES, BotHarness, until
from watchers.models import SourceState

USER = 1001
OTHER = 1002
ADMIN = 4242
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def _polled(harness: BotHarness, name: str, after: datetime) -> SourceState:
    """Wait until `name` has been polled after `after`, successfully or not."""
    for _ in range(300):
        assert harness.store is not None
        state = (await harness.store.sources.all()).get(name)
        if state:
            last = max(
                filter(None, [state.last_success, state.first_failure if state.errors else None]),
                default=None,
            )
            if last is not None and last > after:
                return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} was not polled")


def _name(path: str) -> str:
    """How an extra feed is named: host and path."""
    return f"127.0.0.1{path}"


@pytest.fixture
def watched_settings(settings: Settings, feeds: FeedServer) -> Settings:
    feeds.set(
        "/wire.xml",
        make_rss(
            [
                Item(
                    "Weather in Tbilisi",
                    "https://wire.test/w",
                    "Sunny.",
                    datetime.now(UTC) - timedelta(hours=2),
                )
            ]
        ),
    )
    feeds.set("/broken.xml", (FIXTURES / "feeds" / "truncated_cdata.xml").read_bytes())
    return replace(
        settings, feeds=(feeds.url("/wire.xml"), feeds.url("/broken.xml")), poll_seconds=1
    )


@pytest.fixture
async def wire_bot(telegram: FakeTelegram, watched_settings: Settings) -> AsyncIterator[BotHarness]:
    """The bot running on the two watched feeds, polled every second."""
    harness = BotHarness(telegram, watched_settings)
    await harness.start()
    yield harness
    await harness.stop()


def _publish(feeds: FeedServer, title: str, link: str, text: str = "") -> None:
    """Put one fresh item on the wire feed."""
    feeds.set("/wire.xml", make_rss([Item(title, link, text, datetime.now(UTC))]))


async def test_a_new_report_reaches_the_chat_once_even_across_a_restart(
    wire_bot: BotHarness, telegram: FakeTelegram, feeds: FeedServer
) -> None:
    await wire_bot.send(USER, "/watch Lachin")
    await wire_bot.send(OTHER, "/watch Shusha")
    await _polled(wire_bot, _name("/wire.xml"), EPOCH)
    mark = telegram.mark()
    _publish(
        feeds,
        "Convoy reaches Laçın after talks",
        "https://wire.test/convoy?utm_source=rss&utm_medium=feed",
        "<p>BAKU (Wire) — A humanitarian convoy reached Laçın on Tuesday. Twelve trucks carried "
        "flour and medicine. More are planned next week.</p>",
    )
    [alert] = await telegram.wait_for_sent(since=mark, chat_id=USER, timeout=10)
    assert "Convoy reaches Laçın after talks" in alert.text
    assert 'href="https://wire.test/convoy?utm_source=rss&amp;utm_medium=feed"' in alert.raw_text
    assert "Caucasus Test Wire" in alert.text
    # the keyword and the form found
    assert "Laçın" in alert.text
    assert "Lachin" in alert.text
    assert "humanitarian convoy reached Laçın" in alert.text
    assert "BAKU (Wire)" not in alert.text  # dateline removed
    assert len(alert.text) < 1000
    await _polled(wire_bot, _name("/wire.xml"), datetime.now(UTC))

    await wire_bot.stop()
    restarted = datetime.now(UTC)
    await wire_bot.start()
    await _polled(wire_bot, _name("/wire.xml"), restarted)
    await _polled(wire_bot, _name("/wire.xml"), datetime.now(UTC))
    alerts = [r for r in telegram.sent[mark:] if r.chat_id in (USER, OTHER)]
    assert len(alerts) == 1  # nothing twice, nothing to the chat watching Shusha


async def test_a_malformed_feed_beside_a_good_one_changes_nothing_for_the_good_one(
    wire_bot: BotHarness, telegram: FakeTelegram, feeds: FeedServer
) -> None:
    await wire_bot.send(USER, "/watch Karabakh")
    await _polled(wire_bot, _name("/wire.xml"), EPOCH)
    broken = await _polled(wire_bot, _name("/broken.xml"), EPOCH)
    assert broken.errors >= 1
    assert broken.last_error
    mark = telegram.mark()
    _publish(feeds, "Карабахские беженцы получили жильё", "https://wire.test/ru")
    [alert] = await telegram.wait_for_sent(since=mark, chat_id=USER, timeout=10)
    assert "Карабахские беженцы" in alert.text
    [status] = await wire_bot.send(ADMIN, "/sources")
    assert "broken.xml" in status.text
    assert "errors in a row" in status.text
    assert "wire.xml" in status.text
    assert "ok" in status.text


async def test_several_new_reports_in_one_poll_each_reach_the_chat(
    wire_bot: BotHarness, telegram: FakeTelegram, feeds: FeedServer
) -> None:
    await wire_bot.send(USER, "/watch Lachin, Karabakh")
    await _polled(wire_bot, _name("/wire.xml"), EPOCH)
    mark = telegram.mark()
    now = datetime.now(UTC)
    feeds.set(
        "/wire.xml",
        make_rss(
            [
                Item(
                    "Road to Laçın reopens", "https://wire.test/1", "Trucks crossed on Monday.", now
                ),
                Item(
                    "Qarabağ returnees get keys",
                    "https://wire.test/2",
                    "Forty families moved in.",
                    now,
                ),
                Item("Tbilisi weather", "https://wire.test/3", "Rain again.", now),
            ]
        ),
    )
    alerts = await telegram.wait_for_sent(since=mark, chat_id=USER, count=2, timeout=10)
    await _polled(wire_bot, _name("/wire.xml"), datetime.now(UTC))
    assert sorted(a.text.splitlines()[0] for a in telegram.sent[mark:] if a.chat_id == USER) == [
        "Qarabağ returnees get keys",
        "Road to Laçın reopens",
    ]
    assert len(alerts) == 2


async def test_paused_chats_get_no_alerts(
    wire_bot: BotHarness, telegram: FakeTelegram, feeds: FeedServer
) -> None:
    await wire_bot.send(USER, "/watch Lachin")
    await wire_bot.send(USER, "/pause")
    await wire_bot.send(OTHER, "/watch Lachin")
    await _polled(wire_bot, _name("/wire.xml"), EPOCH)
    mark = telegram.mark()
    _publish(feeds, "Lachin road works", "https://wire.test/r")
    await telegram.wait_for_sent(since=mark, chat_id=OTHER, timeout=10)
    await _polled(wire_bot, _name("/wire.xml"), datetime.now(UTC))
    assert [r.chat_id for r in telegram.sent[mark:]] == [OTHER]


async def test_reports_that_arrive_while_paused_wait_in_latest_and_resume_counts_them(
    wire_bot: BotHarness, telegram: FakeTelegram, feeds: FeedServer
) -> None:
    await wire_bot.send(USER, "/watch Lachin")
    await wire_bot.send(OTHER, "/watch Lachin")  # its alert shows the poll has matched
    await _polled(wire_bot, _name("/wire.xml"), EPOCH)
    [paused] = await wire_bot.send(USER, "/pause")
    assert "show up in /latest, and /resume says how many there were" in paused.text
    mark = telegram.mark()
    _publish(feeds, "Lachin road works resume", "https://wire.test/r")
    await telegram.wait_for_sent(since=mark, chat_id=OTHER, timeout=10)
    await _polled(wire_bot, _name("/wire.xml"), datetime.now(UTC))
    assert [r.chat_id for r in telegram.sent[mark:]] == [OTHER]  # no alert to the paused chat
    assert wire_bot.store is not None
    assert (await wire_bot.store.outbox.counts()).get("pending", 0) == 0
    [resumed] = await wire_bot.send(USER, "/resume")
    assert "While paused, 1 report matched your watchlist; /latest shows" in resumed.text
    [latest] = await wire_bot.send(USER, "/latest")
    assert "Lachin road works resume" in latest.text
    await wire_bot.send(USER, "/pause")
    [none] = await wire_bot.send(USER, "/resume")
    assert "While paused, no new report matched your watchlist." in none.text


async def test_a_paused_chats_keywords_are_still_searched(
    telegram: FakeTelegram, settings: Settings, feeds: FeedServer
) -> None:
    """/pause promises that matches wait in /latest: search sources must still be asked."""
    feeds.set("/rss/search", make_rss([]))
    harness = BotHarness(
        telegram, replace(settings, google_news_url=feeds.url("/rss/search"), poll_seconds=1)
    )
    await harness.start()
    try:
        await harness.send(USER, "/watch Lachin")
        await harness.send(USER, "/pause")
        feeds.requests.clear()
        await until(
            lambda: any("Lachin" in unquote(r.path) for r in feeds.requests),
            "a search for the paused chat's keyword",
        )
        await harness.send(USER, "/stop")
        assert harness.store is not None
        assert harness.store.chats.searched_keywords() == ()  # a stopped chat is not searched for
    finally:
        await harness.stop()


async def test_an_undeliverable_alert_does_not_stop_the_others(
    wire_bot: BotHarness,
    telegram: FakeTelegram,
    feeds: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await wire_bot.send(USER, "/watch Lachin")
    await wire_bot.send(OTHER, "/watch Lachin")
    await _polled(wire_bot, _name("/wire.xml"), EPOCH)
    telegram.block_chat(USER)
    mark = telegram.mark()
    _publish(feeds, "Lachin road works", "https://wire.test/r")
    [alert] = await telegram.wait_for_sent(since=mark, chat_id=OTHER, timeout=10)
    assert "Lachin road works" in alert.text
    await _polled(wire_bot, _name("/wire.xml"), datetime.now(UTC))  # that poll job has finished
    assert any(
        "cannot be reached" in r.getMessage() and str(USER) in r.getMessage()
        for r in caplog.records
    )
    assert wire_bot.store is not None
    assert await wire_bot.store.outbox.pending(10) == []  # set aside, not retried every time
    assert (await wire_bot.store.outbox.counts()).get("held") == 1


async def test_sources_is_for_operators_only(bot_harness: BotHarness) -> None:
    [answer] = await bot_harness.send(USER, "/sources")
    assert "only for the bot's operators" in answer.text


async def test_a_source_failing_for_a_day_is_switched_off_and_the_operators_told(
    telegram: FakeTelegram, feeds: FeedServer, settings: Settings
) -> None:
    feeds.set("/down.xml", b"upstream error", status=502)
    feeds.set("/ok.xml", make_rss([Item("Weather", "https://wire.test/w")]))  # a clock
    url = feeds.url("/down.xml")
    harness = BotHarness(
        telegram, replace(settings, feeds=(url, feeds.url("/ok.xml")), poll_seconds=1)
    )
    assert harness.store is not None
    day_ago = datetime.now(UTC) - timedelta(hours=25)
    await harness.store.sources.save(
        _name("/down.xml"), SourceState(errors=40, first_failure=day_ago, last_error="HTTP 502")
    )
    mark = telegram.mark()
    await harness.start()
    try:
        [notice] = await telegram.wait_for_sent(since=mark, chat_id=ADMIN, timeout=10)
        assert "has failed for 24 hours and is switched off" in notice.text
        assert "502" in notice.text
        [status] = await harness.send(ADMIN, "/sources")
        assert "⛔" in status.text
        assert "switched off" in status.text
        down = len([r for r in feeds.requests if r.path == "/down.xml"])
        ok = len([r for r in feeds.requests if r.path == "/ok.xml"])
        # The other source, on the same 1 s schedule, has been polled three times more: two
        # whole intervals, in which the switched-off one would have been polled too.
        await until(
            lambda: len([r for r in feeds.requests if r.path == "/ok.xml"]) >= ok + 3,
            "three more polls of the other source",
        )
        assert len([r for r in feeds.requests if r.path == "/down.xml"]) == down  # no longer polled
    finally:
        await harness.stop()


async def test_one_repeating_job_per_source_that_never_overlaps_itself(
    wire_bot: BotHarness,
) -> None:
    assert wire_bot.application is not None
    assert wire_bot.application.job_queue is not None
    jobs = {job.name: job.job for job in wire_bot.application.job_queue.jobs()}
    assert set(jobs) == {"poll:127.0.0.1/wire.xml", "poll:127.0.0.1/broken.xml", "prune"}
    wire = jobs["poll:127.0.0.1/wire.xml"]
    assert wire.max_instances == 1
    assert wire.coalesce is True
    assert wire.misfire_grace_time == 1
    assert wire.trigger.interval == timedelta(seconds=1)
    assert wire.trigger.jitter == 0.1


async def test_a_switched_off_source_gets_another_chance_at_start(
    telegram: FakeTelegram, feeds: FeedServer, watched_settings: Settings
) -> None:
    harness = BotHarness(telegram, watched_settings)
    assert harness.store is not None
    week_ago = datetime.now(UTC) - timedelta(days=7)
    switched_off = SourceState(
        errors=90, first_failure=week_ago, last_error="HTTP 502", disabled=True
    )
    await harness.store.sources.save(_name("/wire.xml"), switched_off)
    started = datetime.now(UTC)
    await harness.start()
    try:
        state = await _polled(harness, _name("/wire.xml"), started)
    finally:
        await harness.stop()
    assert not state.disabled
    assert state.errors == 0
