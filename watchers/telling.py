"""How a chat is told about a story: one alert, then edits of it, decided apart from the store
that carries the decision out (`bot.store.outbox.queue`).

- The first report of a story that matches a chat's watchlist is alerted.
- A later one, within `EDIT_FOR` of that alert, edits it instead, to name the outlets that also
  carried the story; edits queued within `COALESCE` of each other are one edit.
- After `EDIT_FOR` the alert has scrolled away and is no longer edited: a later report of the
  story is told again, as a fresh alert, only if the story has become a big one
  (`BIG_STORY` outlets or more); else it shows in /latest only.
- Among the reports of one story that one poll matches for a chat, the alert leads with the
  one in the chat's language, if there is one (`leads`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from watchers.feeds.fields import language_code
from watchers.models import Match, Report

__all__ = ["BIG_STORY", "COALESCE", "EDIT_FOR", "Told", "leads", "tell"]

EDIT_FOR = timedelta(hours=48)
"""How long a story's alert is kept current: about as long as a chat's readers scroll back."""
BIG_STORY = 10
"""Outlets that make a story big enough to be alerted again once its alert is past editing."""
COALESCE = timedelta(seconds=60)
"""An edit waits this long, so that the reports of one story that several polls bring at about
the same time change the message once."""


class Told(enum.Enum):
    ALERT = "alert"
    EDIT = "edit"
    NOTHING = "nothing"


def tell(alerted: datetime | None, now: datetime, outlets: Callable[[], int]) -> Told:
    """What a chat gets for a new report of a story it was alerted of at `alerted` (None:
    never); `outlets` counts the story's outlets, asked only when it matters."""
    if alerted is None:
        return Told.ALERT
    if now - alerted <= EDIT_FOR:
        return Told.EDIT
    return Told.ALERT if outlets() >= BIG_STORY else Told.NOTHING


def leads(
    matches: Sequence[tuple[Report, Match]], language: Callable[[int], str | None]
) -> list[tuple[Report, Match]]:
    """One match per chat and story, in the order given: the first in the chat's `language`
    where the story has one, else the first. Reports without a story are each their own."""
    chosen: dict[tuple[int, str], int] = {}
    kept: list[tuple[Report, Match]] = []
    for report, match in matches:
        if not report.story:
            kept.append((report, match))
            continue
        key = (match.chat_id, report.story)
        at = chosen.get(key)
        if at is None:
            chosen[key] = len(kept)
            kept.append((report, match))
            continue
        wanted = language(match.chat_id)
        held = language_code(kept[at][0].language)
        if wanted and held != wanted == language_code(report.language):
            kept[at] = (report, match)
    return kept
