"""The outbox: a chat's entries taken round-robin by source, the line for reports past the cap
queued with the poll, and an outbox from before either gaining their columns."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.outbox import ADDED_COLUMNS
from bot.sqlstore import SqlStore
from bot.storage import Store
from fakes import FakeTelegram
from tests.conftest import BotHarness
from tests.test_delivery import KEYWORD, _report, _watchers
from watchers.fetch import SourceState
from watchers.models import Alert, Report
from watchers.poll import PollOutcome
from watchers.volume import Overflow


def _poll(
    source: str, chat_id: int, reports: Sequence[Report], overflow: Sequence[Overflow] = ()
) -> PollOutcome:
    """A poll of `source` that stores the reports and alerts the chat to each."""
    alerts = [Alert(chat_id, r, KEYWORD, KEYWORD, "A convoy.") for r in reports]
    stored = [*reports, *(r for line in overflow for r in line.reports)]
    return PollOutcome(source, SourceState(), datetime.now(UTC), stored, stored, alerts, overflow)


def _order(alerts: Sequence[Alert]) -> list[tuple[int, str]]:
    return [(a.chat_id, a.report.id.rsplit("/", 1)[1]) for a in alerts]


async def test_a_second_sources_alert_goes_right_after_the_head_of_a_chats_backlog() -> None:
    store = Store.in_memory()
    try:
        backlog = [_report(f"a{n}") for n in range(6)]
        await store.record_poll(_poll("A", 1, backlog))
        await store.record_poll(_poll("A", 2, [_report("c0")]))
        await store.record_poll(_poll("B", 1, [_report("b0")]))
        pending = _order(await store.pending_alerts(20))
        assert [report for chat, report in pending if chat == 1] == [
            "a0",
            "b0",  # the chat's second entry is B's, not A's
            *(f"a{n}" for n in range(1, 6)),
        ]
        assert pending.index((2, "c0")) == 6  # where its age puts it, as before
        await store.finish_alerts(
            [(1, backlog[0].id, "sent", None), (1, "https://wire.test/b0", "sent", None)]
        )
        await store.record_poll(_poll("A", 1, [_report("a6")]))  # after A's own pending ones
        await store.record_poll(_poll("B", 1, [_report("b1")]))  # at the chat's current turn
        pending = _order(await store.pending_alerts(20, skip_chats=[2]))
        assert pending == [(1, "a1"), (1, "b1"), *((1, f"a{n}") for n in range(2, 7))]
    finally:
        await store.close()


async def test_the_line_for_reports_past_the_cap_counts_only_those_stored_by_this_poll() -> None:
    store = Store.in_memory()
    try:
        collapsed = tuple(_report(f"x{n}") for n in range(4))
        await store.record_poll(_poll("Google News", 1, [collapsed[0]]))  # stored first there
        line = Overflow(1, KEYWORD, "Caucasus Wire", collapsed)
        queued = await store.record_poll(_poll("feed", 1, [_report("k")], [line]))
        assert [(a.report.id, a.more, a.origin) for a in queued] == [
            ("https://wire.test/k", 0, ""),
            ("https://wire.test/x1", 3, "Caucasus Wire"),  # the newest of those stored now
        ]
        pending = await store.pending_alerts(10)
        assert [(a.more, a.origin) for a in pending] == [(0, ""), (0, ""), (3, "Caucasus Wire")]
    finally:
        await store.close()


async def test_a_sources_alert_is_sent_before_the_rest_of_another_sources_backlog(
    telegram: FakeTelegram, settings: Settings
) -> None:
    harness = BotHarness(telegram, settings)
    assert harness.store is not None
    await _watchers(harness.store, [1])
    await harness.store.record_poll(_poll("A", 1, [_report(f"a{n}") for n in range(6)]))
    await harness.store.record_poll(_poll("B", 1, [_report("b0")]))
    await harness.start()
    try:
        sent = await telegram.wait_for_sent(chat_id=1, count=7, timeout=30)
        assert [r.text.splitlines()[0][-3:-1] for r in sent] == [
            "a0",
            "b0",
            "a1",
            "a2",
            "a3",
            "a4",
            "a5",
        ]
    finally:
        await harness.stop()


OLD_OUTBOX = """CREATE TABLE outbox (
    chat_id BIGINT NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id),
    keyword TEXT NOT NULL,
    form TEXT NOT NULL,
    summary TEXT NOT NULL,
    created TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt TEXT NOT NULL,
    last_error TEXT,
    context TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (chat_id, report_id)
)"""
"""The outbox as Newswatch wrote it before volume control."""


async def test_an_outbox_from_before_volume_control_gains_its_columns_and_still_sends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite"
    first = SqlStore(path)  # every other table as it is now
    await first.record([], [_report("old")], datetime.now(UTC))
    await first.close()
    old = sqlite3.connect(path)
    old.execute("DROP TABLE outbox")
    old.execute(OLD_OUTBOX)
    old.execute(
        "INSERT INTO outbox VALUES (1, 'https://wire.test/old', ?, ?, 's', '2026-01-01', "
        "'pending', 0, '2026-01-01', NULL, '')",
        (KEYWORD, KEYWORD),
    )
    old.commit()
    old.close()
    store = SqlStore(path)
    try:
        with sqlite3.connect(path) as look:
            columns = {row[1] for row in look.execute("PRAGMA table_info(outbox)")}
        look.close()
        assert set(ADDED_COLUMNS) <= columns
        await store.record([], [_report("new")], datetime.now(UTC), _poll("B", 1, [_report("new")]))
        pending = await store.pending_alerts(10, datetime.now(UTC))
        assert _order(pending) == [(1, "old"), (1, "new")]
        assert (pending[0].more, pending[0].origin, pending[0].summary) == (0, "", "s")
    finally:
        await store.close()
