"""A story's alert and its edits in the outbox (`bot.store.outbox`, deciding by
`watchers.telling`): one alert per chat and story, later reports as one coalesced edit of it,
read with the outlets that carry the story when it is sent."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store import OutboxStatus, Outcome, Store
from tests.store_support import NOW
from watchers.models import Alert, Edit, Outlet, PollOutcome, Report, SourceState
from watchers.telling import BIG_STORY, COALESCE, EDIT_FOR

STORY = "https://first.test/1"


def _report(n: int, outlet: str, at: datetime, story: str = STORY, country: str = "AZ") -> Report:
    url = f"https://{outlet}/{n}"
    return Report(
        url, url, url, f"Strike on Ganja, report {n}", published=at, outlet=outlet,
        domain=outlet, language="en", country=country, story=story,
    )  # fmt: skip


async def _poll(store: Store, report: Report, at: datetime, chat_id: int = 7) -> list[Alert]:
    alert = Alert(chat_id, report, "Ganja", "Ganja", "A strike.")
    outcome = PollOutcome("w", SourceState(), at, [report], [report], [alert])
    return await store.polls.record_poll(outcome)


async def test_a_later_report_of_the_story_edits_the_sent_alert_once(store: Store) -> None:
    first = _report(1, "first.test", NOW)
    assert len(await _poll(store, first, NOW)) == 1
    [alert] = await store.outbox.pending(10, NOW)
    assert isinstance(alert, Alert)
    assert alert.others == ()  # a single source so far
    await store.outbox.finish([Outcome(7, first.id, OutboxStatus.SENT, message_id=77)])
    second = _report(2, "second.test", NOW + timedelta(minutes=5), country="AM")
    third = _report(3, "third.test", NOW + timedelta(minutes=6), country="RU")
    assert await _poll(store, second, second.published or NOW) == []  # no second alert
    assert await _poll(store, third, third.published or NOW) == []
    assert await store.outbox.pending(10, NOW + timedelta(minutes=5)) == []  # it waits
    later = NOW + timedelta(minutes=6) + COALESCE
    [edit] = await store.outbox.pending(10, later)
    assert isinstance(edit, Edit)
    assert (edit.message_id, edit.entry, edit.alert.report.id) == (77, second.id, first.id)
    assert edit.alert.others == (
        Outlet("second.test", "en", "AM", second.url),
        Outlet("third.test", "en", "RU", third.url),
    )  # one edit names both: the third report queued none of its own


async def test_an_edit_of_an_alert_not_sent_yet_has_no_message(store: Store) -> None:
    await _poll(store, _report(1, "first.test", NOW), NOW)
    second = _report(2, "second.test", NOW)
    await _poll(store, second, NOW)
    pending = await store.outbox.pending(10, NOW + COALESCE, skip_chats=())
    edits = [entry for entry in pending if isinstance(entry, Edit)]
    assert [(e.message_id, e.entry) for e in edits] == [(None, second.id)]


async def test_another_story_or_chat_gets_its_own_alert(store: Store) -> None:
    await _poll(store, _report(1, "first.test", NOW), NOW)
    other = _report(2, "second.test", NOW, story="https://elsewhere.test/9")
    assert len(await _poll(store, other, NOW)) == 1
    assert len(await _poll(store, _report(3, "third.test", NOW), NOW, chat_id=8)) == 1


async def test_past_the_edit_window_only_a_big_story_is_alerted_again(store: Store) -> None:
    first = _report(0, "first.test", NOW)
    await _poll(store, first, NOW)
    await store.outbox.finish([Outcome(7, first.id, OutboxStatus.SENT, message_id=5)])
    late = NOW + EDIT_FOR + timedelta(minutes=1)
    for n in range(1, BIG_STORY - 1):
        assert await _poll(store, _report(n, f"outlet{n}.test", late), late) == []
    assert await store.outbox.pending(10, late + COALESCE) == []  # no edit either
    big = _report(BIG_STORY, "last.test", late)
    [alert] = await _poll(store, big, late)  # its tenth outlet
    assert alert.report.id == big.id
