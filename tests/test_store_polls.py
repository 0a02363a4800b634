"""A poll's outcome (`bot.store.polls`): one transaction, and a story another poll stored first
is not queued twice."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from bot.store import (
    Store,
)
from tests.store_support import NOW, make_alert, make_report
from watchers.models import PollOutcome, Report, SourceState


async def test_one_poll_is_one_transaction(store: Store) -> None:
    """New reports, last-seen refreshes, source state and outbox entries: all or nothing."""
    old = make_report(1)
    await store.reports.add([old], NOW - timedelta(days=40))
    new = make_report(2)
    broken = PollOutcome(
        "wire",
        SourceState(etag='"x"'),
        NOW,
        seen=[old, new],
        new=[new],
        alerts=[make_alert(5, new, summary=None)],  # violates NOT NULL after everything else ran
    )
    with pytest.raises(sqlite3.IntegrityError):
        await store.polls.record_poll(broken)
    assert await store.polls.source_state("wire") is None
    assert await store.polls.unseen([new]) == [new]
    assert await store.reports.prune(NOW - timedelta(days=30)) == 1  # last_seen not refreshed
    await store.reports.add([old], NOW - timedelta(days=40))
    good = PollOutcome(
        "wire", SourceState(etag='"x"'), NOW, [old, new], [new], [make_alert(5, new)]
    )
    assert await store.polls.record_poll(good) == [make_alert(5, new)]
    assert await store.polls.source_state("wire") == SourceState(etag='"x"')
    assert await store.reports.prune(NOW - timedelta(days=30)) == 0  # refreshed by the poll
    assert await store.outbox.pending(10) == [make_alert(5, new)]


async def test_a_story_another_poll_stored_first_is_not_queued_twice(store: Store) -> None:
    """Two sources found the same story at once; both saw it unseen, only one may alert it."""
    outlet = make_report(1, domain="oc-media.org")
    google = Report(
        id="https://news.google.com/a/1",
        url="https://news.google.com/a/1",
        canonical_url="https://news.google.com/a/1",
        title=outlet.title,
        domain="oc-media.org",
    )
    assert await store.polls.unseen([outlet]) == [outlet]
    assert await store.polls.unseen([google]) == [google]
    state = SourceState()
    first = await store.polls.record_poll(
        PollOutcome("feed", state, NOW, [outlet], [outlet], [make_alert(5, outlet)])
    )
    second = await store.polls.record_poll(
        PollOutcome("google", state, NOW, [google], [google], [make_alert(5, google)])
    )
    assert first == [make_alert(5, outlet)]
    assert second == []
    assert await store.outbox.pending(10) == [make_alert(5, outlet)]
    assert await store.polls.source_state("google") == state  # the rest of the poll still counts
