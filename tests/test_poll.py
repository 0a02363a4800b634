"""One poll end to end without Telegram: real HTTP from a local feed server into the store."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bot.store import Chat, Store, WatchEntry
from fakes import FeedServer, Item, make_rss
from tests.conftest import FIXTURES, kill_cpu_worker
from watchers.alerts import Summariser
from watchers.cpu import CpuLaneError, on_cpu
from watchers.fanout import Audience, fan_out, small_audience
from watchers.feeds.source import FeedSource
from watchers.gdelt import GDELT_TERMS_PER_QUERY, GdeltSource, Pacer
from watchers.google_news import GoogleNewsSource
from watchers.matching import load_aliases, search_terms
from watchers.matchlane import (
    MatcherCache,
    clean_and_match,
    install_matcher,
    match_installed,
    plain_reports,
)
from watchers.models import Hit, Match, Report, Subscription
from watchers.packed import unpack
from watchers.poll import Poller
from watchers.sources import Source

T = TypeVar("T")

START = datetime.now(UTC).replace(microsecond=0)
LACHIN = Subscription(1, "Lachin", START - timedelta(days=1))
KARABAKH = Subscription(2, "Karabakh", START - timedelta(days=1))


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _gdelt(url: str, interval: float = 60, spacing: float = 0.0) -> GdeltSource:
    """A GDELT source whose requests are `spacing` seconds apart (GDELT's own rule is 5 s)."""
    return GdeltSource("GDELT", url, interval, pacer=Pacer(spacing))


@pytest.fixture
async def poller(tmp_path: Path) -> AsyncIterator[tuple[Poller, Store, Clock]]:
    store = Store.in_memory()
    clock = Clock()
    async with httpx.AsyncClient() as client:
        yield (
            Poller(client, store.polls, load_aliases(), lambda: Summariser(client), now=clock),
            store,
            clock,
        )
    await store.close()


def _feed(server: FeedServer, items: list[Item], path: str = "/wire.xml") -> Source:
    server.set(path, make_rss(items))
    return FeedSource("Test Wire", server.url(path), 60)


def _old(n: int) -> Item:
    return Item(
        f"Older story {n}",
        f"https://wire.test/old/{n}",
        "Nothing to see.",
        START - timedelta(hours=n),
    )


async def test_first_poll_stores_without_alerting_then_new_items_alert(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, store, clock = poller
    source = _feed(
        feeds,
        [
            _old(1),
            Item("Convoy reaches Laçın", "https://wire.test/a", "", START - timedelta(hours=3)),
        ],
    )
    first = await poll.poll(source, [LACHIN, KARABAKH])
    assert (first.fetched, first.new, first.alerts) == (2, 2, [])
    clock.advance(61)
    new = Item(
        "Talks resume",
        "https://wire.test/b?utm_source=rss",
        "Negotiators met in Qarabağda on Monday. They agreed to meet again. "
        "A third sentence follows.",
        clock.now,
    )
    source = _feed(feeds, [new, _old(1)])
    second = await poll.poll(source, [LACHIN, KARABAKH])
    assert second.new == 1
    [alert] = second.alerts
    assert alert.chat_id == 2
    assert alert.keyword == "Karabakh"
    assert alert.form == "Qarabağda"
    assert "Qarabağda" in alert.summary
    assert len(alert.summary) <= 400
    assert alert.report.url == "https://wire.test/b?utm_source=rss"
    assert (await store.reports.recent(5))[0].report.title == "Talks resume"
    assert await store.outbox.pending(10, clock.now) == [alert]  # queued in the same transaction


async def test_the_same_story_from_two_sources_polled_at_once_is_alerted_once(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    """Both polls find the story unseen while the other summarises; only the first to record it
    queues the alert."""
    poll, store, clock = poller
    wire, mirror = _feed(feeds, [_old(1)]), _feed(feeds, [_old(2)], "/mirror.xml")
    mirror = FeedSource("Mirror", mirror.url, 60)
    await asyncio.gather(poll.poll(wire, [LACHIN]), poll.poll(mirror, [LACHIN]))
    clock.advance(61)
    title = "Convoy reaches Laçın after a week of delays"
    story = [Item(title, "https://wire.test/convoy", "A convoy reached Laçın.", clock.now)]
    _feed(feeds, story)
    _feed(
        feeds,
        [Item(title, "https://wire.test/convoy?from=mirror#top", "", clock.now)],
        "/mirror.xml",
    )
    results = await asyncio.gather(poll.poll(wire, [LACHIN]), poll.poll(mirror, [LACHIN]))
    assert [r.new for r in results] == [1, 1]  # each saw it unseen
    assert sorted(len(r.alerts) for r in results) == [0, 1]
    assert len(await store.outbox.pending(10, clock.now)) == 1


async def test_a_failed_first_poll_does_not_turn_the_backlog_into_alerts(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, _, clock = poller
    feeds.set("/wire.xml", b"busy", status=503)
    source = FeedSource("Test Wire", feeds.url("/wire.xml"), 60)
    assert (await poll.poll(source, [LACHIN])).error
    clock.advance(3600)
    backlog = [
        Item(f"Laçın story {n}", f"https://wire.test/{n}", "", START - timedelta(hours=n))
        for n in range(1, 6)
    ]
    result = await poll.poll(_feed(feeds, backlog), [LACHIN])
    assert (result.error, result.new, result.alerts) == (None, 5, [])


async def test_reports_older_than_the_retention_are_never_alerted(
    feeds: FeedServer, tmp_path: Path
) -> None:
    """Once pruned, a report a feed still carries would look new: its age keeps it quiet."""
    store, clock = Store.in_memory(), Clock()
    async with httpx.AsyncClient() as client:
        poll = Poller(
            client,
            store.polls,
            load_aliases(),
            lambda: Summariser(client),
            retention=timedelta(days=30),
            now=clock,
        )
        await poll.poll(_feed(feeds, [_old(1)]), [LACHIN])
        clock.advance(61)
        ancient = Item(
            "Laçın, forty days on", "https://wire.test/ancient", "", START - timedelta(days=40)
        )
        recent = Item("Laçın today", "https://wire.test/today", "", START)
        result = await poll.poll(
            _feed(feeds, [ancient, recent, _old(1)]),
            [Subscription(1, "Lachin", START - timedelta(days=90))],
        )
    assert result.new == 2
    assert [a.report.title for a in result.alerts] == ["Laçın today"]


async def test_a_feed_ttl_stretches_the_next_poll(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, store, clock = poller
    feeds.set("/ttl.xml", (FIXTURES / "feeds" / "rss2_cdata_ttl.xml").read_bytes())  # <ttl>15</ttl>
    await poll.poll(FeedSource("TTL", feeds.url("/ttl.xml"), 60), [])
    state = (await store.sources.all())["TTL"]
    assert state.next_poll == clock.now + timedelta(minutes=15)


async def test_a_tick_a_little_early_still_polls(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    """The job queue's jitter may fire a few seconds before the stored next poll."""
    poll, _, clock = poller
    source = _feed(feeds, [_old(1)])
    await poll.poll(source, [])
    clock.advance(55)
    assert not (await poll.poll(source, [])).skipped


async def test_reports_take_the_listed_language_when_their_feed_gives_none(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, store, _ = poller
    feeds.set(
        "/hy.xml", make_rss([Item("Լաչինի ճանապարհը բացվեց", "https://wire.test/hy", "", START)])
    )
    await poll.poll(FeedSource("Azatutyun", feeds.url("/hy.xml"), 60, language="hy"), [])
    [stored] = await store.reports.recent(5)
    assert stored.report.language == "hy"


async def test_a_source_is_not_polled_before_it_is_due(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, _, clock = poller
    source = _feed(feeds, [_old(1)])
    await poll.poll(source, [])
    clock.advance(30)
    assert (await poll.poll(source, [])).skipped
    assert len(feeds.requests) == 1
    clock.advance(31)
    assert not (await poll.poll(source, [])).skipped


async def test_conditional_get_and_304(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, store, clock = poller
    source = _feed(feeds, [_old(1)])
    await poll.poll(source, [LACHIN])
    clock.advance(61)
    result = await poll.poll(source, [LACHIN])
    assert feeds.requests[-1].headers.get("if-none-match")
    assert (result.error, result.new, result.fetched) == (None, 0, 0)
    state = (await store.sources.all())["Test Wire"]
    assert state.errors == 0
    assert state.last_success == clock.now


async def test_old_backlog_is_stored_but_not_alerted(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, store, clock = poller
    fresh_watch = Subscription(3, "Lachin", START)
    await poll.poll(_feed(feeds, [_old(1)]), [fresh_watch])
    clock.advance(61)
    week_old = Item("Laçın archive piece", "https://wire.test/week", "", START - timedelta(days=7))
    just_before = Item(
        "Lachin border post opens", "https://wire.test/recent", "", START - timedelta(minutes=20)
    )
    result = await poll.poll(_feed(feeds, [week_old, just_before, _old(1)]), [fresh_watch])
    assert result.new == 2
    assert [a.report.title for a in result.alerts] == ["Lachin border post opens"]
    assert {s.report.title for s in await store.reports.recent(10)} >= {"Laçın archive piece"}


def _crash(*args: object, **kwargs: object) -> None:
    """A parser that takes the CPU worker down with it (run there, so defined at module level)."""
    os._exit(70)


async def test_a_feed_that_stops_the_cpu_worker_is_a_failed_poll_and_backs_off(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    poll, store, clock = poller
    monkeypatch.setattr("watchers.feeds.source.parse_feed", _crash)
    result = await poll.poll(_feed(feeds, [_old(1)]), [LACHIN])
    assert result.error == "the CPU worker process stopped during _crash"
    state = (await store.sources.all())["Test Wire"]
    assert state.errors == 1
    assert state.next_poll is not None
    assert state.next_poll > clock.now
    assert await on_cpu(int, "3") == 3  # a new worker took over


async def test_failures_back_off_and_switch_the_source_off_after_a_day(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, store, clock = poller
    feeds.set("/down.xml", b"oops", status=500)
    source = FeedSource("Down", feeds.url("/down.xml"), 60)
    first = await poll.poll(source, [LACHIN])
    assert first.error
    assert "500" in first.error
    assert not first.disabled_now
    state = (await store.sources.all())["Down"]
    assert state.errors == 1
    assert state.next_poll is not None
    assert (state.next_poll - clock.now).total_seconds() >= 120  # doubled
    disabled = None
    for _ in range(40):
        clock.advance(6 * 3600)
        result = await poll.poll(source, [LACHIN])
        if result.disabled_now:
            disabled = result
            break
    assert disabled is not None
    assert clock.now - START >= timedelta(hours=24)
    clock.advance(7 * 24 * 3600)
    assert (await poll.poll(source, [LACHIN])).skipped


async def test_a_malformed_feed_is_an_error_not_a_crash(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, _, _ = poller
    feeds.set(
        "/broken.xml",
        (FIXTURES / "feeds" / "not_a_feed.html").read_bytes(),
        content_type="text/html",
    )
    result = await poll.poll(FeedSource("Broken", feeds.url("/broken.xml"), 60), [LACHIN])
    assert result.error
    assert result.alerts == []


async def test_a_source_error_is_logged_with_the_source_named_once(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], caplog: pytest.LogCaptureFixture
) -> None:
    """Sources report what failed; the poller names the source (it once read "Broken: Broken:")."""
    poll, store, _ = poller
    feeds.set("/broken.xml", b"<html><body>Moved</body></html>", content_type="text/html")
    with caplog.at_level(logging.WARNING, logger="watchers.poll"):
        result = await poll.poll(FeedSource("Broken", feeds.url("/broken.xml"), 60), [LACHIN])
    assert result.error
    assert "Broken" not in result.error
    [line] = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert line.count("Broken") == 1, line
    assert (await store.sources.all())["Broken"].last_error == result.error


async def test_thin_feed_text_is_completed_from_the_article_page(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, _, clock = poller
    await poll.poll(_feed(feeds, [_old(1)]), [LACHIN])
    clock.advance(61)
    article = (
        "<html><head><title>x</title></head><body><nav>Home | World | Sport</nav>"
        "<article><h1>Convoy</h1>"
        "<p>A humanitarian convoy reached the town of Laçın on Tuesday after a week of delays "
        "at the checkpoint.</p>"
        "<p>Officials said twelve trucks carried flour, medicine and fuel for the coming winter "
        "months.</p>"
        "<p>Further deliveries are planned for next week if the road stays open.</p></article>"
        "<footer>Copyright Wire 2026</footer></body></html>"
    )
    feeds.set("/story", article.encode(), content_type="text/html; charset=utf-8")
    item = Item("Convoy arrives", feeds.url("/story"), "Convoy in Lachin.", clock.now)
    [alert] = (await poll.poll(_feed(feeds, [item, _old(1)]), [LACHIN])).alerts
    assert alert.summary.startswith("A humanitarian convoy reached the town of Laçın on Tuesday")
    assert "Home | World" not in alert.summary
    assert "Copyright" not in alert.summary


async def test_google_news_is_asked_for_every_spelling_and_its_items_matched(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, _, _ = poller
    feeds.set("/rss/search", (FIXTURES / "feeds" / "google_news.xml").read_bytes())
    source = GoogleNewsSource("Google News", feeds.url("/rss/search"), 60)
    result = await poll.poll(source, [LACHIN])
    assert result.error is None
    assert result.fetched > 0
    query = feeds.requests[-1].path
    assert "Lachin" in query
    assert "La%C3%A7%C4%B1n" in query  # Laçın, URL-encoded
    assert "Berdzor" in query


async def test_google_news_without_watches_fetches_nothing(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, _, _ = poller
    result = await poll.poll(GoogleNewsSource("Google News", feeds.url("/rss/search"), 60), [])
    assert result.fetched == 0
    assert result.error is None
    assert feeds.requests == []


@pytest.mark.parametrize(
    ("fixture", "status", "error"),
    [
        ("gdelt_throttle.txt", 200, "throttled"),
        ("gdelt_throttle.txt", 429, "429"),
    ],
)
async def test_gdelt_plain_text_answers_are_errors(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], fixture: str, status: int, error: str
) -> None:
    poll, store, clock = poller
    feeds.set(
        "/api/v2/doc/doc",
        (FIXTURES / "feeds" / fixture).read_bytes(),
        content_type="text/plain",
        status=status,
    )
    result = await poll.poll(_gdelt(feeds.url("/api/v2/doc/doc")), [LACHIN])
    assert result.error is not None
    assert error in result.error
    state = (await store.sources.all())["GDELT"]
    assert state.errors == 1
    assert state.next_poll is not None
    assert state.next_poll > clock.now


async def test_gdelt_requests_are_spaced_even_across_polls(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    poll, _, clock = poller
    feeds.set(
        "/api/v2/doc/doc",
        (FIXTURES / "feeds" / "gdelt_empty.json").read_bytes(),
        content_type="application/json",
    )
    source = _gdelt(feeds.url("/api/v2/doc/doc"), 1, spacing=0.4)
    await poll.poll(source, [LACHIN])
    clock.advance(3600)
    began = time.monotonic()
    await poll.poll(source, [LACHIN])
    assert time.monotonic() - began >= 0.35
    assert len(feeds.requests) == 2


async def test_gdelt_window_reaches_back_past_the_last_success(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    poll, _, clock = poller
    feeds.set(
        "/api/v2/doc/doc",
        (FIXTURES / "feeds" / "gdelt_empty.json").read_bytes(),
        content_type="application/json",
    )
    source = _gdelt(feeds.url("/api/v2/doc/doc"))
    await poll.poll(source, [LACHIN])
    assert (
        "timespan=15min" in feeds.requests[-1].path
    )  # the first window: at least GDELT's 15 minutes
    clock.advance(3 * 3600)  # e.g. after a long backoff
    await poll.poll(source, [LACHIN])
    assert "timespan=185min" in feeds.requests[-1].path


async def test_a_query_gdelt_refuses_is_logged_not_held_against_the_source(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], caplog: pytest.LogCaptureFixture
) -> None:
    """One chat's odd keyword must not switch GDELT off for every chat."""
    poll, store, _ = poller
    body = (FIXTURES / "feeds" / "gdelt_keyword_error.txt").read_bytes()
    feeds.set("/api/v2/doc/doc", body, content_type="text/plain")
    result = await poll.poll(_gdelt(feeds.url("/api/v2/doc/doc")), [LACHIN])
    assert result.error is None
    assert (await store.sources.all())["GDELT"].errors == 0
    assert any("GDELT refused the query" in r.getMessage() for r in caplog.records)


async def test_gdelt_is_not_asked_for_terms_it_finds_too_short(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    poll, _, _ = poller
    feeds.set("/api/v2/doc/doc", (FIXTURES / "feeds" / "gdelt_empty.json").read_bytes())
    source = _gdelt(feeds.url("/api/v2/doc/doc"))
    await poll.poll(source, [Subscription(5, "EU OR Baku", START)])
    [request] = feeds.requests
    assert "Baku" in request.path
    assert "EU" not in request.path.replace("EUR", "")


async def test_one_failing_google_news_search_does_not_hide_the_others(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    poll, store, clock = poller
    monkeypatch.setattr(
        "watchers.google_news.build_search_urls",
        lambda terms, base: [feeds.url("/gn/broken"), feeds.url("/gn/fine")],
    )
    feeds.set("/gn/broken", b"busy", status=503)
    source = GoogleNewsSource("Google News", feeds.url("/gn"), 60)
    feeds.set("/gn/fine", make_rss([_old(1)]))
    await poll.poll(source, [LACHIN])
    clock.advance(61)
    feeds.set(
        "/gn/fine", make_rss([Item("Laçın talks", "https://wire.test/gn", "", clock.now), _old(1)])
    )
    result = await poll.poll(source, [LACHIN])
    assert result.error is None
    assert [a.report.title for a in result.alerts] == ["Laçın talks"]
    assert (await store.sources.all())["Google News"].errors == 0


async def test_a_search_sources_old_results_are_backlog_for_every_chat(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When one chat adds a keyword, the search returns days-old reports; a chat that has
    watched Karabakh for months must not get them as news."""
    poll, _, clock = poller
    monkeypatch.setattr(
        "watchers.google_news.build_search_urls", lambda terms, base: [feeds.url("/gn")]
    )
    source = GoogleNewsSource("Google News", feeds.url("/gn"), 60)
    veteran = Subscription(1, "Karabakh", START - timedelta(days=90))
    feeds.set("/gn", make_rss([_old(1)]))
    await poll.poll(source, [veteran])
    clock.advance(300)
    newcomer = Subscription(2, "Shusha", clock.now)
    feeds.set(
        "/gn",
        make_rss(
            [
                Item(
                    "Şuşa and Karabakh, a look back",
                    "https://wire.test/old",
                    "",
                    START - timedelta(days=2),
                ),
                Item(
                    "Karabakh talks today",
                    "https://wire.test/new",
                    "",
                    clock.now - timedelta(minutes=30),
                ),
                _old(1),
            ]
        ),
    )
    result = await poll.poll(source, [veteran, newcomer])
    assert result.new == 2
    assert [(a.chat_id, a.report.title) for a in result.alerts] == [(1, "Karabakh talks today")]


async def test_gdelt_articles_become_reports_asked_in_batches(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    poll, _, _ = poller
    feeds.set(
        "/api/v2/doc/doc",
        (FIXTURES / "feeds" / "gdelt_artlist.json").read_bytes(),
        content_type="application/json",
    )
    result = await poll.poll(_gdelt(feeds.url("/api/v2/doc/doc")), [LACHIN, KARABAKH])
    assert result.error is None
    assert result.fetched > 0
    terms = search_terms(["Lachin", "Karabakh"], load_aliases())
    assert len(terms) > GDELT_TERMS_PER_QUERY  # two spelling groups exceed one query's terms
    assert len(feeds.requests) == -(-len(terms) // GDELT_TERMS_PER_QUERY)
    assert all("mode=artlist" in r.path and "timespan=" in r.path for r in feeds.requests)


def test_one_alert_per_chat_even_when_two_watches_match() -> None:
    report = Report(
        id="r",
        url="https://x.test/r",
        canonical_url="https://x.test/r",
        title="Laçın and Qarabağ",
        published=START,
    )
    subscriptions = [
        Subscription(1, "Lachin", START),
        Subscription(1, "Karabakh", START),
        Subscription(2, "Karabakh", START),
    ]
    matched = _matched([report], subscriptions)
    assert [(m.chat_id, m.keyword) for _, m in matched] == [(1, "Lachin"), (2, "Karabakh")]


def test_html_in_feed_text_is_not_matched() -> None:
    """Words inside markup (an image URL naming Armenia) do not trigger an alert."""
    report = Report(
        id="r",
        url="https://x.test/r",
        canonical_url="https://x.test/r",
        title="Vance visits Europe",
        published=START,
        text='<p>A speech.</p><img src="https://img.test/APTOPIX_Armenia_Vance.jpg">',
    )
    subscriptions = [Subscription(1, "Armenia", START)]
    assert _matched(plain_reports([report]), subscriptions) == []
    assert _matched([report], subscriptions)  # the markup alone would match


async def test_new_reports_are_made_plain_before_matching_and_storing_known_ones_not_again(
    feeds: FeedServer,
    poller: tuple[Poller, Store, Clock],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    poll, store, clock = poller
    armenia = Subscription(3, "Armenia", START - timedelta(days=1))
    await poll.poll(_feed(feeds, [_old(n) for n in range(1, 21)]), [armenia])
    cleaned: list[str] = []

    async def counting(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        if func is clean_and_match:
            cleaned.extend(r.title for r in args[2])
        return await on_cpu(func, *args, **kwargs)

    monkeypatch.setattr("watchers.matchlane.on_cpu", counting)
    clock.advance(61)
    markup = Item(
        "Vance visits Europe",
        "https://wire.test/vance",
        '<p>A speech in Brussels.</p><img src="https://img.test/APTOPIX_Armenia_Vance.jpg">',
        clock.now,
    )
    result = await poll.poll(_feed(feeds, [markup, *(_old(n) for n in range(1, 21))]), [armenia])
    assert (result.new, result.alerts, cleaned) == (1, [], ["Vance visits Europe"])
    assert (await store.reports.recent(1))[0].report.text == "A speech in Brussels."


def _qarabag(n: int = 0) -> Report:
    url = f"https://x.test/q{n}"
    return Report(id=url, url=url, canonical_url=url, title="Qarabağ", published=START)


def _builds(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage().split(" in ")[0] for r in caplog.records if "matcher built" in r.msg]


async def test_concurrent_polls_build_the_matcher_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "watchers.matchlane")
    cache = MatcherCache(load_aliases())
    found = await asyncio.gather(
        *(_chats(cache, [_qarabag(n)], [LACHIN, KARABAKH], 7) for n in range(5))
    )
    assert _builds(caplog) == ["matcher built over 2 distinct watches"]
    assert [[(r.id, m.chat_id) for r, m in one] for one in found] == [
        [(f"https://x.test/q{n}", 2)] for n in range(5)
    ]


async def test_the_matcher_follows_the_store_watch_version(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "watchers.matchlane")
    cache = MatcherCache(load_aliases())
    assert await _chats(cache, [_qarabag()], [LACHIN], 1) == []
    # Same version: the watches are not compared, so the matcher is not rebuilt.
    assert await _chats(cache, [_qarabag()], [KARABAKH], 1) == []
    assert [m.chat_id for _, m in await _chats(cache, [_qarabag()], [KARABAKH], 2)] == [2]
    assert len(_builds(caplog)) == 2


async def test_the_matcher_is_rebuilt_only_when_a_watchlist_changes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "watchers.matchlane")
    cache = MatcherCache(load_aliases())
    assert [m.chat_id for _, m in await _chats(cache, [_qarabag()], [LACHIN, KARABAKH])] == [2]
    await _chats(cache, [_qarabag()], [KARABAKH, LACHIN])
    assert await _chats(cache, [_qarabag()], [LACHIN]) == []
    assert _builds(caplog) == [
        "matcher built over 2 distinct watches",
        "matcher built over 1 distinct watches",
    ]


async def test_a_build_that_stopped_the_worker_is_tried_again_by_the_next_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = MatcherCache(load_aliases())
    lachin = replace(_qarabag(), title="Laçın")
    assert [m.chat_id for _, m in await _chats(cache, [lachin], [LACHIN], 1)] == [1]
    monkeypatch.setattr("watchers.matchlane.install_matcher", _crash)
    with pytest.raises(CpuLaneError, match="stopped during _crash"):
        await _chats(cache, [_qarabag()], [KARABAKH], 2)
    monkeypatch.undo()
    # Back to version 1: what the failed build half changed must not pass for version 1.
    assert [m.chat_id for _, m in await _chats(cache, [lachin], [LACHIN], 1)] == [1]


async def test_a_new_worker_process_gets_the_matcher_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The matcher lives in the CPU worker; if that process dies, the next match rebuilds it."""
    caplog.set_level(logging.INFO, "watchers.matchlane")
    cache = MatcherCache(load_aliases())
    await _chats(cache, [], [KARABAKH], 1)
    await kill_cpu_worker()
    assert [m.chat_id for _, m in await _chats(cache, [_qarabag()], [KARABAKH], 1)] == [2]
    assert len(_builds(caplog)) == 2


async def _chats(
    cache: MatcherCache,
    reports: list[Report],
    subscriptions: list[Subscription],
    version: int | None = None,
) -> list[tuple[Report, Match]]:
    """What the cache's matcher finds in the reports, fanned out to the chats."""
    matched, audience = await cache.match(reports, subscriptions, version)
    return [
        (r, m) for r in reports for m in fan_out(r, cache.hits(matched.hits.get(r.id)), audience)
    ]


def _matched(
    reports: list[Report], subscriptions: list[Subscription], audience: Audience | None = None
) -> list[tuple[Report, Match]]:
    """The poll's path run here: the worker's matcher over the audience's watches (vetoes
    included), then the fan-out."""
    audience = audience or small_audience(subscriptions, load_aliases())
    names = dict(enumerate(audience.watches))
    install_matcher(-1, list(names.items()), load_aliases())
    found = match_installed(-1, reports)
    assert found is not None
    hits = [[] if p is None else unpack(p, names) for p in found]
    pairs = zip(reports, hits, strict=True)
    return [(r, m) for r, one in pairs for m in fan_out(r, one, audience)]


async def test_a_rebuild_frees_cyclic_garbage_an_earlier_freeze_kept() -> None:
    """Each rebuild freezes the new matcher out of the worker's collector scans; whatever an
    earlier freeze caught and has since become cyclic garbage must be freed then, not kept
    forever. (`install_matcher` runs here, in the test's process, to see its objects.)"""

    class Node:
        def __init__(self) -> None:
            self.me = self

    cycle = Node()
    gone = weakref.ref(cycle)
    install_matcher(1, [(0, "Lachin")], load_aliases())  # freezes `cycle`, still alive
    del cycle
    gc.collect()
    assert gone() is not None  # frozen: the collector does not see it
    install_matcher(2, [(0, "Karabakh")], load_aliases())
    assert gone() is None


async def test_an_exclusion_on_a_watch_of_a_place_holds_for_its_other_watches_in_the_chat(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    """A watchlist stored before /watch knew both name Karabakh: `Ղարաբաղ` once let a football
    report through that `Karabakh -football` keeps out. Another chat's `Ղարաբաղ` still gets it."""
    poll, store, clock = poller
    since = START - timedelta(days=1)
    both = [WatchEntry("Karabakh -football", since), WatchEntry("Ղարաբաղ", since)]
    await store.chats.save(Chat(1, watches=both))
    await store.chats.save(Chat(2, watches=[WatchEntry("Ղարաբաղ", since)]))
    await poll.poll(_feed(feeds, [_old(1)]), store.chats.subscriptions(), store.chats.version)
    clock.advance(61)
    football = Item("Football: fans celebrate in Karabakh", "https://wire.test/f", "", clock.now)
    talks = Item("Karabakh talks resume", "https://wire.test/t", "", clock.now)
    result = await poll.poll(
        _feed(feeds, [football, talks, _old(1)]), store.chats.subscriptions(), store.chats.version
    )
    assert sorted((a.chat_id, a.report.url, a.keyword) for a in result.alerts) == [
        (1, "https://wire.test/t", "Karabakh -football"),
        (2, "https://wire.test/f", "Ղարաբաղ"),
        (2, "https://wire.test/t", "Ղարաբաղ"),
    ]


def test_a_shared_exclusion_is_not_read_as_a_name_with_the_place() -> None:
    """`Lachin` and `corridor` written side by side are the listed name "Lachin corridor"; the
    veto for `Lachin -corridor` must stay the place and the word, wherever they stand."""
    report = Report(
        id="r",
        url="https://x.test/r",
        canonical_url="https://x.test/r",
        title="Peace in Lachin; the corridor stays shut",
        published=START,
    )
    subscriptions = [
        Subscription(1, "Lachin -corridor", START),
        Subscription(1, "Lachin peace", START),
    ]
    audience = small_audience(subscriptions, load_aliases())
    assert audience.vetoes  # the chat's two watches of Lachin share the exclusion
    assert _matched([report], subscriptions, audience) == []
    assert _matched([report], subscriptions, replace(audience, vetoes={}))  # without the veto


async def test_a_watch_nobody_is_alerted_for_still_has_its_matches_stored(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock]
) -> None:
    """A paused chat's watches are searched, not alerted: their matches are stored all the
    same, for its /latest (and the count /resume gives) to read from the index."""
    poll, store, clock = poller
    await poll.poll(_feed(feeds, [_old(1)]), [LACHIN], searched=["Lachin", "Shusha"])
    clock.advance(61)
    item = Item("Şuşa festival opens", "https://wire.test/shusha", "", clock.now)
    result = await poll.poll(_feed(feeds, [item, _old(1)]), [LACHIN], searched=["Lachin", "Shusha"])
    assert result.alerts == []
    found, _ = await store.matches.indexed(["Shusha"], 5)
    assert [(item.report.title, hits) for item, hits in found] == [
        ("Şuşa festival opens", [Hit(("Shusha",), "Şuşa")])
    ]


async def test_a_report_matching_many_watches_is_stored_as_one_record(
    feeds: FeedServer, tmp_path: Path
) -> None:
    """A real report matches hundreds of watches: what the matcher found in it is stored as one
    record however many they are, and /latest finds it by any one watch's id."""
    since = START - timedelta(days=1)
    subscriptions = [Subscription(n, f"Lachin -word{n}", since) for n in range(300)]
    item = Item("Convoy reaches Lachin", "https://wire.test/lachin", "", START)
    store = Store.open(tmp_path)
    try:
        async with httpx.AsyncClient() as client:
            summaries = lambda: Summariser(client)  # noqa: E731
            poll = Poller(client, store.polls, load_aliases(), summaries, now=Clock())
            await poll.poll(_feed(feeds, [item]), subscriptions)
        found, _ = await store.matches.indexed(["Lachin -word7", "Shusha"], 5)
    finally:
        await store.close()
    assert [(one.report.title, hits) for one, hits in found] == [
        ("Convoy reaches Lachin", [Hit(("Lachin -word7",), "Lachin")])
    ]
    with sqlite3.connect(tmp_path / "newswatch.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM report_hits").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM watches").fetchone() == (300,)


async def test_a_catch_up_that_stops_the_worker_leaves_the_stored_poll_alone(
    feeds: FeedServer, poller: tuple[Poller, Store, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catch-up runs after the poll's outcome is stored: a worker that stops under it
    must not turn the stored poll into an error (its alerts would wait, and a switched-off
    source would go untold)."""
    poll, store, _ = poller

    async def stopped(*args: object, **kwargs: object) -> None:
        raise CpuLaneError("the CPU worker process stopped during match")

    monkeypatch.setattr(poll.matchers, "match", stopped)
    stored = "https://wire.test/stored"
    await store.reports.add([Report(stored, stored, stored, "Convoy reaches Lachin")], START)
    result = await poll.poll(_feed(feeds, [_old(1)]), [LACHIN])
    assert result.error is None
    assert result.new == 1
    assert (await store.sources.all())["Test Wire"].errors == 0
