"""A story's alert and its edit, end to end: queued as a poll queues them, sent and edited by
the real bot on the fake Bot API, the edit naming the outlets that carried the story since."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.config import Settings
from fakes import FakeTelegram
from tests.conftest import BotHarness, until
from tests.test_delivery import KEYWORD, _outbox, _report, _watchers
from watchers.models import Alert, PollOutcome, Report, SourceState
from watchers.telling import COALESCE

CHAT = 3101
STORY = "https://wire.test/first"


def _told(outlet: str, tag: str, language: str, country: str) -> Report:
    report = _report(tag, outlet=outlet)
    return replace(report, domain=f"{tag}.test", language=language, country=country, story=STORY)


async def _poll(harness: BotHarness, report: Report, at: datetime) -> list[Alert]:
    assert harness.store is not None
    alert = Alert(CHAT, report, KEYWORD, KEYWORD, "A convoy reached Lachin.")
    outcome = PollOutcome("test", SourceState(), at, [report], [report], [alert])
    queued = await harness.store.polls.record_poll(outcome)
    assert harness.application is not None
    sender = harness.application.bot_data.sender
    assert sender is not None
    sender.wake()
    return queued


async def test_later_reports_of_a_story_edit_its_alert_to_name_who_carried_it(
    bot_harness: BotHarness, telegram: FakeTelegram, settings: Settings
) -> None:
    assert bot_harness.store is not None
    await _watchers(bot_harness.store, [CHAT])
    first = replace(_told("Test Wire", "first", "en", "GE"), id=STORY, url=STORY)
    assert len(await _poll(bot_harness, first, datetime.now(UTC))) == 1
    [alert] = await telegram.wait_for_sent(lambda r: r.chat_id == CHAT, timeout=10)
    assert alert.text.splitlines()[-1] == "Single source so far: only Test Wire"
    await until(lambda: "sent" in {s for _, _, s, _ in _outbox(settings)}, "the alert recorded")
    mark = telegram.mark()
    due_now = datetime.now(UTC) - COALESCE  # as if the edit had waited its minute
    for outlet, tag, language, country in [
        ("Report.az", "az", "az", "AZ"),
        ("TASS", "ru", "ru", "RU"),
    ]:
        assert await _poll(bot_harness, _told(outlet, tag, language, country), due_now) == []
    [edit] = await telegram.wait_for_sent(
        lambda r: r.method == "editMessageText", since=mark, timeout=10
    )
    assert edit.message_id == alert.message_id
    assert edit.text.splitlines()[-2:] == [
        "Also reported by: Report.az (az), TASS (ru)",
        "Reported in GE, AZ, RU",
    ]
    links = [e["url"] for e in edit.entities if e["type"] == "text_link"]
    assert links == [STORY, "https://wire.test/az", "https://wire.test/ru"]
    await until(lambda: {s for _, _, s, _ in _outbox(settings)} == {"sent"}, "all recorded")
    assert [r.method for r in telegram.sent[mark:] if r.chat_id == CHAT] == ["editMessageText"]
