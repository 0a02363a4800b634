"""The outbox (`bot.store.outbox`): entries leave the queue when sent or dropped, a chat's
entries are taken round-robin by source, and the line for reports past the cap is queued with
the poll."""

from __future__ import annotations

from bot.config import Settings
from bot.store import OutboxStatus, Outcome, Store
from fakes import FakeTelegram
from tests.conftest import BotHarness
from tests.store_support import NOW, make_alert, make_report, queue_order, queued_poll
from tests.test_delivery import KEYWORD, _report, _watchers
from watchers.models import Overflow, PollOutcome, SourceState


async def test_outbox_entries_leave_the_queue_when_sent_or_dropped(store: Store) -> None:
    reports = [make_report(n) for n in range(3)]
    alerts = [make_alert(5, r) for r in reports]
    queued = await store.polls.record_poll(
        PollOutcome("w", SourceState(), NOW, reports, reports, alerts)
    )
    assert queued == alerts
    await store.outbox.finish(
        [
            Outcome(5, reports[0].id, OutboxStatus.SENT),
            Outcome(5, reports[1].id, OutboxStatus.DROPPED, "no longer watched"),
        ]
    )
    assert await store.outbox.pending(10) == alerts[2:]


async def test_a_second_sources_alert_goes_right_after_the_head_of_a_chats_backlog() -> None:
    store = Store.in_memory()
    try:
        backlog = [_report(f"a{n}") for n in range(6)]
        await store.polls.record_poll(queued_poll("A", 1, backlog))
        await store.polls.record_poll(queued_poll("A", 2, [_report("c0")]))
        await store.polls.record_poll(queued_poll("B", 1, [_report("b0")]))
        pending = queue_order(await store.outbox.pending(20))
        assert [report for chat, report in pending if chat == 1] == [
            "a0",
            "b0",  # the chat's second entry is B's, not A's
            *(f"a{n}" for n in range(1, 6)),
        ]
        assert pending.index((2, "c0")) == 6  # where its age puts it, as before
        await store.outbox.finish(
            [
                Outcome(1, backlog[0].id, OutboxStatus.SENT),
                Outcome(1, "https://wire.test/b0", OutboxStatus.SENT),
            ]
        )
        await store.polls.record_poll(
            queued_poll("A", 1, [_report("a6")])
        )  # after A's own pending ones
        await store.polls.record_poll(
            queued_poll("B", 1, [_report("b1")])
        )  # at the chat's current turn
        pending = queue_order(await store.outbox.pending(20, skip_chats=[2]))
        assert pending == [(1, "a1"), (1, "b1"), *((1, f"a{n}") for n in range(2, 7))]
    finally:
        await store.close()


async def test_the_line_for_reports_past_the_cap_counts_only_those_stored_by_this_poll() -> None:
    store = Store.in_memory()
    try:
        collapsed = tuple(_report(f"x{n}") for n in range(4))
        await store.polls.record_poll(
            queued_poll("Google News", 1, [collapsed[0]])
        )  # stored first there
        line = Overflow(1, KEYWORD, "Caucasus Wire", collapsed)
        queued = await store.polls.record_poll(queued_poll("feed", 1, [_report("k")], [line]))
        assert [(a.report.id, a.more, a.origin) for a in queued] == [
            ("https://wire.test/k", 0, ""),
            ("https://wire.test/x1", 3, "Caucasus Wire"),  # the newest of those stored now
        ]
        pending = await store.outbox.pending(10)
        assert [(a.more, a.origin) for a in pending] == [(0, ""), (0, ""), (3, "Caucasus Wire")]
    finally:
        await store.close()


async def test_a_sources_alert_is_sent_before_the_rest_of_another_sources_backlog(
    telegram: FakeTelegram, settings: Settings
) -> None:
    harness = BotHarness(telegram, settings)
    assert harness.store is not None
    await _watchers(harness.store, [1])
    await harness.store.polls.record_poll(queued_poll("A", 1, [_report(f"a{n}") for n in range(6)]))
    await harness.store.polls.record_poll(queued_poll("B", 1, [_report("b0")]))
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
