"""Volume control: how many alerts one poll of one source may give one chat.

A feed that suddenly serves thousands of matching items (an archive republished, a wire dump)
would otherwise queue thousands of messages for a chat, which at Telegram's one message a second
per chat hold its alerts from every other source for an hour. So each chat gets the newest
`ALERTS_PER_POLL` of one poll's matches as alerts and one line for the rest, "+4,962 more from
Feed X: /latest"; every report is stored all the same. This module is the rule alone: the poll
applies it, and the store queues the line in the poll's transaction like any alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from watchers.models import Match, Overflow, Report

__all__ = ["ALERTS_PER_POLL", "cap_matches", "origin_of"]

ALERTS_PER_POLL = 5
"""Alerts one chat gets from one poll of one source; the rest become one "+N more" line. Five
take five seconds at Telegram's one message a second a chat, and a real event seldom brings more
new reports of one outlet between two polls: beyond that, the reader wants the count, not more
messages."""

_UNDATED = datetime.max.replace(tzinfo=UTC)
"""A report without a date was first seen now: newer than any dated one of the same poll."""


def origin_of(reports: Sequence[Report], source: str) -> str:
    """The outlet the reports share (a feed's title, as its alerts show it), else the source's
    name (a search source such as Google News brings many outlets)."""
    names = {report.publisher for report in reports}
    return names.pop() if len(names) == 1 and "" not in names else source


def cap_matches(
    matched: Sequence[tuple[Report, Match]], source: str, limit: int = ALERTS_PER_POLL
) -> tuple[list[tuple[Report, Match]], list[Overflow]]:
    """Each chat's `limit` newest matches, in the order given, and for each chat that had more
    an `Overflow` holding the rest. Equal dates keep the order given (a feed's, newest first)."""
    by_chat: dict[int, list[int]] = {}
    for index, (_, match) in enumerate(matched):
        by_chat.setdefault(match.chat_id, []).append(index)
    collapsed: set[int] = set()
    overflow: list[Overflow] = []
    for chat_id, indexes in by_chat.items():
        if len(indexes) <= limit:
            continue
        newest = sorted(indexes, key=lambda i: matched[i][0].published or _UNDATED, reverse=True)
        rest = newest[limit:]
        collapsed.update(rest)
        reports = tuple(matched[i][0] for i in rest)
        keyword = matched[rest[0]][1].keyword
        overflow.append(Overflow(chat_id, keyword, origin_of(reports, source), reports))
    kept = [pair for index, pair in enumerate(matched) if index not in collapsed]
    return kept, overflow
