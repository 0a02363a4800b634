"""Reports (`bot.store.reports`): only new ones stored, by id or by story, the newest first for
/latest, and retention forgetting them with their outbox entries."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.store import (
    Store,
)
from tests.store_support import NOW, make_alert, make_report
from watchers.models import PollOutcome, Report, SourceState


async def test_add_reports_returns_only_new_ones(store: Store) -> None:
    first = await store.reports.add([make_report(1), make_report(2), make_report(2)], NOW)
    assert [r.id for r in first] == ["https://news.test/1", "https://news.test/2"]
    second = await store.reports.add([make_report(2), make_report(3)], NOW + timedelta(minutes=5))
    assert [r.id for r in second] == ["https://news.test/3"]


async def test_the_same_story_through_another_source_is_not_new(store: Store) -> None:
    title = "Convoy reaches Laçın after week of delays"

    def make_report(url: str, domain: str, headline: str = title) -> Report:
        return Report(id=url, url=url, canonical_url=url, title=headline, domain=domain)

    outlet = make_report("https://oc-media.org/convoy", "oc-media.org")
    google = make_report("https://news.google.com/rss/articles/CBMi1", "oc-media.org", f"{title} ")
    assert await store.reports.add([outlet], NOW) == [outlet]
    assert await store.polls.unseen([google]) == []
    assert await store.reports.add([google], NOW) == []
    other_outlet = make_report("https://jam-news.net/convoy", "jam-news.net")
    assert await store.reports.add([other_outlet], NOW) == [other_outlet]
    short = [
        make_report(f"https://oc-media.org/live/{n}", "oc-media.org", "Live updates")
        for n in (1, 2)
    ]
    assert len(await store.reports.add(short, NOW)) == 2  # too short a headline to tell apart


async def test_recent_reports_newest_first_by_publication_else_first_seen(store: Store) -> None:
    await store.reports.add(
        [make_report(1, NOW - timedelta(hours=3)), make_report(2, NOW - timedelta(hours=1))], NOW
    )
    await store.reports.add([make_report(3)], NOW - timedelta(hours=2))
    recent = await store.reports.recent(10)
    assert [s.report.id[-1] for s in recent] == ["2", "3", "1"]
    assert recent[0].report.published == NOW - timedelta(hours=1)
    assert recent[1].first_seen == NOW - timedelta(hours=2)
    assert len(await store.reports.recent(2)) == 2


async def test_prune_forgets_reports_no_source_showed_since_the_cutoff(store: Store) -> None:
    await store.reports.add([make_report(1), make_report(3)], NOW - timedelta(days=40))
    await store.reports.add([make_report(2)], NOW)
    await store.reports.add([make_report(3)], NOW - timedelta(days=10))  # a feed still carries it
    assert await store.reports.prune(NOW - timedelta(days=30)) == 1
    remaining = {s.report.id for s in await store.reports.recent(10)}
    assert remaining == {"https://news.test/2", "https://news.test/3"}
    assert await store.reports.add([make_report(3)], NOW) == []  # still known: never new again


async def test_pruning_a_report_removes_its_outbox_entry(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data")
    report = make_report(1)
    await store.polls.record_poll(PollOutcome("w", SourceState(), NOW, [report], [report], []))
    await store.polls.record_poll(
        PollOutcome(
            "w",
            SourceState(),
            NOW,
            [make_report(2)],
            [make_report(2)],
            [make_alert(5, make_report(2))],
        )
    )
    assert await store.reports.prune(NOW + timedelta(days=1)) == 2
    await store.close()
    with sqlite3.connect(tmp_path / "data" / "newswatch.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
