"""The one fan-out: from the distinct watches found in a report to the chats that get it.

The matcher (`watchers.matchlane`) knows watches, never chats: it says which distinct watches a
report satisfies (`Hit`). An `Audience` says which chats hold each watch, since when, and which
of their watches a shared exclusion silences (`watchers.matching.places`); `fan_out` turns one
report's hits into at most one `Match` per chat. Polls, `newswatch scan` and /latest all go
through it, so a report reaches a chat, or shows in its /latest, by the same rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from watchers.matching import AliasBook, Vetoes, place_vetoes, place_vetoes_on_cpu
from watchers.models import Hit, Match, Report, Subscription

__all__ = [
    "BACKLOG_GRACE",
    "EVER",
    "TEXT_WINDOW",
    "Audience",
    "audience_of",
    "fan_out",
    "small_audience",
]

BACKLOG_GRACE = timedelta(hours=1)
"""A report published this long before a keyword was watched still counts as news to the chat;
older ones (which a search source returns the first time it is asked for a new keyword) only
show in /latest."""

EVER = datetime(1970, 1, 1, tzinfo=UTC)
"""The start of a watch for which no report is backlog (a dry run, /latest)."""

TEXT_WINDOW = 1000
"""How many of the newest stored reports are matched again as text: those that the matches
stored with them do not cover (a watch newer than they are, /latest with a keyword no chat
watches). Bounded, so that no request costs more as the store grows."""

_SLICE = 5000
"""Watches indexed between two turns of the event loop: about a millisecond."""

_Pair = tuple[int, str]  # (chat id, keyword)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who holds each distinct watch (`holders`: the chats' (chat id, keyword) pairs, and each
    chat's veto watches as (chat id, veto)), when each (chat, keyword) began (`since`), and
    what each veto silences (`vetoes`, see `watchers.matching.place_vetoes`)."""

    holders: Mapping[str, tuple[_Pair, ...]]
    since: Mapping[_Pair, datetime]
    vetoes: Vetoes

    @property
    def watches(self) -> list[str]:
        """Every distinct watch, vetoes included, in the order first added: what a matcher for
        this audience holds."""
        return list(self.holders)


def _audience(
    holders: dict[str, list[_Pair]], since: dict[_Pair, datetime], vetoes: Vetoes
) -> Audience:
    for pair in vetoes:  # held by no watch's start: found, never alerted
        holders.setdefault(pair[1], []).append(pair)
    # Tuples, not lists: once the collector has seen that they hold only numbers and text, it
    # stops visiting them, so its later pauses do not grow with 50,000 watches.
    return Audience({w: tuple(pairs) for w, pairs in holders.items()}, since, vetoes)


def _add(
    subscriptions: Iterable[Subscription],
    holders: dict[str, list[_Pair]],
    since: dict[_Pair, datetime],
) -> None:
    for s in subscriptions:
        pair = s.chat_id, s.keyword
        holders.setdefault(s.keyword, []).append(pair)
        since[pair] = s.since


async def audience_of(
    subscriptions: Sequence[Subscription], aliases: AliasBook, unheld: Iterable[str] = ()
) -> Audience:
    """The audience of every chat's watches, built a slice at a time so that 50,000 watches
    never hold the event loop; their shared exclusions are read in the CPU worker. `unheld`:
    more watches to match (and store matches of) that alert nobody, such as a paused chat's."""
    holders: dict[str, list[_Pair]] = {}
    since: dict[_Pair, datetime] = {}
    for start in range(0, len(subscriptions), _SLICE):
        _add(subscriptions[start : start + _SLICE], holders, since)
        await asyncio.sleep(0)
    for watch in unheld:
        holders.setdefault(watch, [])
    return _audience(holders, since, await place_vetoes_on_cpu(since, aliases))


def small_audience(subscriptions: Sequence[Subscription], aliases: AliasBook) -> Audience:
    """`audience_of` for a few chats' watches (one chat's /latest, a dry run), built here."""
    holders: dict[str, list[_Pair]] = {}
    since: dict[_Pair, datetime] = {}
    _add(subscriptions, holders, since)
    return _audience(holders, since, MappingProxyType(place_vetoes(since, aliases)))


def fan_out(report: Report, hits: Sequence[Hit], audience: Audience) -> list[Match]:
    """The chats that get `report`, one match each, from the watches found in it (`hits`, in
    the matcher's order: the first hit a chat holds gives its form): not by a watch that a veto
    found in the report silences, and not when the report is old backlog to the watch."""
    holders, since = audience.holders, audience.since
    quiet: set[_Pair] = set()
    if audience.vetoes:
        for hit in hits:
            for watch in hit.watches:
                for pair in holders.get(watch, ()):
                    if pair in audience.vetoes:
                        quiet.update((pair[0], keyword) for keyword in audience.vetoes[pair])
    chats: set[int] = set()
    matched: list[Match] = []
    for hit in hits:
        for watch in hit.watches:
            for pair in holders.get(watch, ()):
                started = since.get(pair)
                if started is None or pair[0] in chats or pair in quiet:
                    continue
                if report.published is not None and report.published < started - BACKLOG_GRACE:
                    continue
                chats.add(pair[0])
                matched.append(Match(pair[0], pair[1], hit.form, hit.context))
    return matched
