"""The one fan-out: from the distinct watches found in a report to the chats that get it.

The matcher (`watchers.matchlane`) knows watches, never chats: it says which distinct watches a
report satisfies (`Hit`). An `Audience` says which chats hold each watch, since when, and which
of their watches a shared exclusion silences (`watchers.matching.places`); `fan_out` turns one
report's hits into at most one `Match` per chat. Polls, `newswatch scan` and /latest all go
through it, so a report reaches a chat, or shows in its /latest, by the same rules.
"""

from __future__ import annotations

import asyncio
import math
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from watchers.matching import AliasBook, Vetoes, place_vetoes, place_vetoes_on_cpu
from watchers.models import Hit, Match, Report, Subscription

__all__ = [
    "BACKLOG_GRACE",
    "EMPTY",
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
"""Watches indexed between two turns of the event loop: a few milliseconds."""
_FLAT_SLICE = 1000
"""Watches laid out in the audience's arrays between two turns of the event loop: about 2 ms."""

_Pair = tuple[int, str]  # (chat id, keyword)

_ONLY_VETO = math.nan
"""The start of a chat's hold on a watch it holds only as an exclusion: it never alerts."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Who holds each distinct watch and since when, and what each veto silences (`vetoes`,
    (chat id, veto watch) -> the chat's watches it silences; see
    `watchers.matching.place_vetoes`).

    `number` numbers the distinct watches, vetoes included, in the order first added; the
    holders of watch n are `chats[ends[n - 1]:ends[n]]`, each since `since` (POSIX seconds;
    `_ONLY_VETO` for a chat that holds the watch only as an exclusion). Flat arrays: as
    (chat id, keyword) pairs with a datetime each, 50,000 watches took 8 MB of the bot.
    """

    number: Mapping[str, int]
    ends: array[int]
    chats: array[int]
    since: array[float]
    vetoes: Vetoes

    @property
    def watches(self) -> list[str]:
        """Every distinct watch, vetoes included, in the order first added: what a matcher for
        this audience holds."""
        return list(self.number)

    def holders(self, watch: str) -> Iterator[tuple[int, float]]:
        """The chats holding `watch`, each with the start of its hold."""
        n = self.number.get(watch)
        if n is None:
            return iter(())
        start, stop = self.ends[n - 1] if n else 0, self.ends[n]
        return zip(self.chats[start:stop], self.since[start:stop], strict=True)


def _flatten(held: dict[str, list[tuple[int, float]]], vetoes: Vetoes) -> Iterator[Audience | None]:
    """The audience of `held` and `vetoes`, as the last item; None after each `_FLAT_SLICE`
    watches, so that a caller on the event loop can let others go between."""
    for chat, veto in vetoes:  # held by no watch's start: found, never alerted
        held.setdefault(veto, []).append((chat, _ONLY_VETO))
    number: dict[str, int] = {}
    ends, chats, since = array("q"), array("q"), array("d")
    for n, (watch, holders) in enumerate(held.items()):
        chats.extend(chat for chat, _ in holders)
        since.extend(started for _, started in holders)
        ends.append(len(chats))
        number[watch] = n
        if n % _FLAT_SLICE == _FLAT_SLICE - 1:
            yield None
    yield Audience(number, ends, chats, since, vetoes)


def _audience(held: dict[str, list[tuple[int, float]]], vetoes: Vetoes) -> Audience:
    *_, audience = _flatten(held, vetoes)
    assert audience is not None
    return audience


def _add(
    subscriptions: Iterable[Subscription],
    held: dict[str, list[tuple[int, float]]],
    pairs: list[_Pair],
) -> None:
    for s in subscriptions:
        held.setdefault(s.keyword, []).append((s.chat_id, s.since.timestamp()))
        pairs.append((s.chat_id, s.keyword))


async def audience_of(
    subscriptions: Sequence[Subscription], aliases: AliasBook, unheld: Iterable[str] = ()
) -> Audience:
    """The audience of every chat's watches, built a slice at a time so that 50,000 watches
    never hold the event loop; their shared exclusions are read in the CPU worker. `unheld`:
    more watches to match (and store matches of) that alert nobody, such as a paused chat's."""
    held: dict[str, list[tuple[int, float]]] = {}
    pairs: list[_Pair] = []
    for start in range(0, len(subscriptions), _SLICE):
        _add(subscriptions[start : start + _SLICE], held, pairs)
        await asyncio.sleep(0)
    for watch in unheld:
        held.setdefault(watch, [])
    for built in _flatten(held, await place_vetoes_on_cpu(pairs, aliases)):
        if built is not None:
            return built
        await asyncio.sleep(0)
    raise AssertionError("_flatten ends with the audience")


def small_audience(subscriptions: Sequence[Subscription], aliases: AliasBook) -> Audience:
    """`audience_of` for a few chats' watches (one chat's /latest, a dry run), built here."""
    held: dict[str, list[tuple[int, float]]] = {}
    pairs: list[_Pair] = []
    _add(subscriptions, held, pairs)
    return _audience(held, MappingProxyType(place_vetoes(pairs, aliases)))


EMPTY = _audience({}, {})
"""The audience of nobody."""


def fan_out(report: Report, hits: Sequence[Hit], audience: Audience) -> list[Match]:
    """The chats that get `report`, one match each, from the watches found in it (`hits`, in
    the matcher's order: the first hit a chat holds gives its form): not by a watch that a veto
    found in the report silences, and not when the report is old backlog to the watch."""
    vetoes = audience.vetoes
    quiet: set[_Pair] = set()
    if vetoes:
        for hit in hits:
            for watch in hit.watches:
                for chat, _ in audience.holders(watch):
                    quiet.update((chat, keyword) for keyword in vetoes.get((chat, watch), ()))
    latest = math.inf  # the latest start of a hold to which the report is news, not backlog
    if report.published is not None:
        latest = (report.published + BACKLOG_GRACE).timestamp()
    chats: set[int] = set()
    matched: list[Match] = []
    for hit in hits:
        for watch in hit.watches:
            for chat, started in audience.holders(watch):
                if chat in chats or math.isnan(started) or started > latest:
                    continue
                if quiet and (chat, watch) in quiet:
                    continue
                chats.add(chat)
                matched.append(Match(chat, watch, hit.form, hit.context))
    return matched
