"""The match index (`bot.store.matches`): one record of hits stored with each report, what they
cover, reads through the index, pruning with the reports, and the upgrade of an older
database."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import Store
from watchers.models import Hit, Matched, Packed, PollOutcome, Report, SourceState
from watchers.packed import pack

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _report(n: int, hours_ago: int = 0, *, regional: bool = False) -> Report:
    url = f"https://wire.test/{n}"
    published = NOW - timedelta(hours=hours_ago)
    return Report(url, url, url, f"Report number {n}", published=published, regional=regional)


async def _matched(
    store: Store,
    generation: int,
    watches: Sequence[str],
    reports: Sequence[Report],
    **hits: list[Hit],
) -> Matched:
    """`hits` by report number: `r1=[...]`, packed as the worker packs them, with the store's
    watch ids."""
    ids = dict(zip(watches, await store.polls.watch_ids(watches), strict=True))
    by_id: dict[str, Packed] = {}
    for key, found in hits.items():
        packed = pack((hit.form, hit.context, [ids[w] for w in hit.watches]) for hit in found)
        assert packed is not None
        by_id[f"https://wire.test/{key[1:]}"] = packed
    return Matched(generation, list(ids.values()), reports, by_id)


async def _poll(
    store: Store, reports: Sequence[Report], matched: Matched, at: datetime = NOW
) -> None:
    outcome = PollOutcome("Wire", SourceState(), at, reports, reports, matched=matched)
    await store.polls.record_poll(outcome)


def _titles(found: Sequence[tuple[object, object]]) -> list[str]:
    return [item.report.title for item, _ in found]  # type: ignore[attr-defined]


async def test_a_polls_matches_are_read_newest_first_through_the_index(store: Store) -> None:
    reports = [_report(1, 3), _report(2, 2), _report(3, 1)]
    lachin, shusha = Hit(("Lachin",), "Laçın"), Hit(("Shusha",), "Şuşa", "Azerbaijan")
    matched = await _matched(
        store, 1, ["Lachin", "Shusha"], reports, r1=[lachin], r2=[shusha, lachin]
    )
    await _poll(store, reports, matched)
    found, more = await store.matches.indexed(["Lachin", "Shusha"], 5)
    assert (_titles(found), more) == (["Report number 2", "Report number 1"], False)
    assert sorted(found[0][1]) == sorted([Hit(("Lachin",), "Laçın"), shusha])  # context kept
    first, more = await store.matches.indexed(["Lachin", "Shusha"], 1)
    assert (_titles(first), more) == (["Report number 2"], True)


async def test_a_watch_is_covered_from_the_matcher_that_first_held_it(store: Store) -> None:
    old, new = _report(1, 2), _report(2, 1)
    await _poll(store, [old], await _matched(store, 10, ["Lachin"], [old]))
    newer = await _matched(store, 20, ["Lachin", "Shusha"], [new])
    await _poll(store, [new], newer, NOW + timedelta(minutes=1))
    missing = await store.matches.unindexed(["Lachin", "Shusha", "Ganja"], 10)
    assert [(item.report.title, sorted(m)) for item, m in missing] == [
        ("Report number 2", ["Ganja"]),  # no matcher held it
        ("Report number 1", ["Ganja", "Shusha"]),  # matched before Shusha was held
    ]
    assert await store.polls.unmatched(10, 10) == [old]  # what a new matcher matches again
    await store.polls.record_matches(await _matched(store, 20, ["Lachin", "Shusha"], [old]))
    assert await store.polls.unmatched(10, 10) == []
    # A matcher without Lachin: its reports are not covered for Lachin any more.
    await store.polls.record_matches(await _matched(store, 30, ["Shusha"], []))
    missing = await store.matches.unindexed(["Lachin"], 10)
    assert [item.report.title for item, _ in missing] == ["Report number 2", "Report number 1"]


async def test_an_older_matchers_late_poll_does_not_undo_a_newer_ones_cover(store: Store) -> None:
    late = _report(1, 1)
    await store.polls.record_matches(await _matched(store, 20, ["Lachin", "Shusha"], []))
    await _poll(store, [late], await _matched(store, 10, ["Lachin"], [late]))
    missing = await store.matches.unindexed(["Lachin", "Shusha"], 10)
    assert [(item.report.title, sorted(m)) for item, m in missing] == [
        ("Report number 1", ["Lachin", "Shusha"])
    ]


async def test_a_report_keeps_its_regional_flag(store: Store) -> None:
    report = _report(1, regional=True)
    await _poll(store, [report], await _matched(store, 1, [], [report]))
    [(item, _)] = await store.matches.unindexed(["Kapan"], 10)
    assert item.report.regional
    assert item.report == report


async def test_pruning_reports_deletes_their_matches(tmp_path: Path) -> None:
    reports = [_report(1), _report(2)]
    hit = Hit(("Lachin",), "Lachin")
    long_ago = NOW - timedelta(days=40)
    store = Store.open(tmp_path)
    try:
        first = await _matched(store, 1, ["Lachin"], reports[:1], r1=[hit])
        await _poll(store, reports[:1], first, long_ago)
        second = await _matched(store, 1, ["Lachin"], reports[1:], r2=[hit])
        await _poll(store, reports[1:], second)
        assert await store.reports.prune(NOW - timedelta(days=30)) == 1
        found, _ = await store.matches.indexed(["Lachin"], 5)
    finally:
        await store.close()
    assert _titles(found) == ["Report number 2"]
    with sqlite3.connect(tmp_path / "newswatch.sqlite3") as db:
        assert db.execute("SELECT report_id FROM report_hits").fetchall() == [
            ("https://wire.test/2",)
        ]


SAME_HEADLINE = Report(
    id="https://wire.test/new",
    url="https://wire.test/new",
    canonical_url="https://wire.test/new",
    title="Aid convoy reaches Laçın after a month",
    domain="wire.test",
)

OLD_REPORTS = """CREATE TABLE reports (
    id TEXT PRIMARY KEY, story TEXT, url TEXT NOT NULL, canonical_url TEXT NOT NULL,
    title TEXT NOT NULL, body TEXT NOT NULL, published TEXT, outlet TEXT NOT NULL,
    domain TEXT NOT NULL, language TEXT, country TEXT, source TEXT NOT NULL,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, sort_time TEXT NOT NULL
)"""


async def test_an_older_database_gains_the_index_and_its_reports_are_matched_again(
    tmp_path: Path,
) -> None:
    with sqlite3.connect(tmp_path / "newswatch.sqlite3") as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '1')")
        db.execute(OLD_REPORTS)
        stamp = NOW.isoformat(timespec="microseconds")
        db.execute(
            "INSERT INTO reports VALUES (?, ?, ?, ?, 'Aid convoy reaches Laçın after a month', "
            "'', ?, '', 'wire.test', NULL, NULL, 'Wire', ?, ?, ?)",
            ("https://wire.test/old", SAME_HEADLINE.headline_key, "https://wire.test/old",
             "https://wire.test/old", stamp, stamp, stamp, stamp),
        )  # fmt: skip
    store = Store.open(tmp_path)
    try:
        [(item, missing)] = await store.matches.unindexed(["Lachin"], 10)
        assert (item.report.title, item.report.regional, missing) == (
            "Aid convoy reaches Laçın after a month",
            False,
            frozenset({"Lachin"}),
        )
        await store.polls.record_matches(await _matched(store, 1, ["Lachin"], []))
        assert [r.title for r in await store.polls.unmatched(10, 10)] == [
            "Aid convoy reaches Laçın after a month"
        ]
        # its old `story` column is the headline key: the same headline at a new URL is not new
        assert await store.polls.unseen([SAME_HEADLINE]) == []
    finally:
        await store.close()
