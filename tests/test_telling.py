"""How a chat is told about a story (`watchers.telling`): an alert, edits of it, or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchers.models import Match, Report
from watchers.telling import BIG_STORY, EDIT_FOR, Told, leads, tell

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _never() -> int:
    raise AssertionError("the story's outlets need not be counted here")


def test_the_first_report_of_a_story_is_alerted() -> None:
    assert tell(None, NOW, _never) is Told.ALERT


def test_a_later_report_within_the_edit_window_edits_the_alert() -> None:
    assert tell(NOW - EDIT_FOR, NOW, _never) is Told.EDIT


def test_past_the_edit_window_only_a_big_story_is_alerted_again() -> None:
    old = NOW - EDIT_FOR - timedelta(seconds=1)
    assert tell(old, NOW, lambda: BIG_STORY - 1) is Told.NOTHING
    assert tell(old, NOW, lambda: BIG_STORY) is Told.ALERT


def _report(n: int, story: str, language: str) -> Report:
    url = f"https://wire.test/{n}"
    return Report(url, url, url, f"Report {n}", language=language, story=story)


def test_one_match_per_chat_and_story_led_by_the_chats_language() -> None:
    en, ru, az = _report(1, "s", "en"), _report(2, "s", "ru-RU"), _report(3, "s", "az")
    alone = _report(4, "", "en")
    matches = [
        (report, Match(chat, "Ganja", "Ganja"))
        for report in (en, ru, az, alone, alone)
        for chat in (1, 2, 3)
    ]
    languages = {1: "ru", 2: "hy", 3: None}
    chosen = leads(matches, languages.get)
    assert [(m.chat_id, r.url[-1]) for r, m in chosen] == [
        (1, "2"),  # in Russian, the chat's language
        (2, "1"),  # no report in Armenian: the first
        (3, "1"),
        *((chat, "4") for chat in (1, 2, 3)),  # no story: each its own
        *((chat, "4") for chat in (1, 2, 3)),
    ]
