"""Which chats get which new report: one matcher for every watch, then a fan-out to the chats.

The matcher lives in the CPU worker (`watchers.cpu`) and holds each distinct watch once, by
number; `MatcherCache` keeps, in the bot, which chats hold each watch and since when, and turns
the worker's hits into one `Match` per (report, chat). `match_reports` does the same in one
process, for `newswatch scan`.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType

from watchers.cpu import CpuLaneError, on_cpu
from watchers.matching import AliasBook, Found, Matcher, Vetoes, place_vetoes_on_cpu, silenced
from watchers.models import Match, Report, Subscription

__all__ = [
    "BACKLOG_GRACE",
    "MatcherCache",
    "Since",
    "install_matcher",
    "match_installed",
    "match_reports",
    "since_of",
]

logger = logging.getLogger(__name__)

BACKLOG_GRACE = timedelta(hours=1)
"""A report published this long before a keyword was watched still counts as news to the chat;
older ones (which a search source returns the first time it is asked for a new keyword) only
show in /latest."""

Since = Mapping[tuple[int, str], datetime]
"""When each (chat, keyword) began to be watched."""


def since_of(subscriptions: Iterable[Subscription]) -> Since:
    """The start of every watch, to tell news from a new keyword's backlog."""
    return {(s.chat_id, s.keyword): s.since for s in subscriptions}


_NO_VETOES: Vetoes = MappingProxyType({})


def match_reports(
    reports: Sequence[Report], since: Since, matcher: Matcher, vetoes: Vetoes = _NO_VETOES
) -> list[tuple[Report, Match]]:
    """Which chat gets which report: one match per (report, chat), none for old backlog.

    `matcher` covers every chat's watches, so each report is scanned once for all of them;
    `since` (see `since_of`) is built once per watchlist change, not per poll. `vetoes`: the
    chats' shared exclusions (`watchers.places.place_vetoes`), whose watches `matcher` holds.
    """
    found = (matcher.match(r.title, r.text, regional=r.regional) for r in reports)
    return _fan_out(zip(reports, found), since, vetoes)


def _fan_out(
    found: Iterable[tuple[Report, Sequence[Found]]], since: Since, vetoes: Vetoes
) -> list[tuple[Report, Match]]:
    """For each report, a match for every chat holding a watch found in it, once per chat, but
    not by a watch that a veto found in the report silences."""
    matched: list[tuple[Report, Match]] = []
    for report, watches in found:
        chats: set[int] = set()
        quiet = silenced(watches, vetoes)
        for watch in watches:
            for chat_id, keyword in watch.holders:
                started = since.get((chat_id, keyword))
                if started is None or chat_id in chats or (chat_id, keyword) in quiet:
                    continue
                if report.published is not None and report.published < started - BACKLOG_GRACE:
                    continue
                chats.add(chat_id)
                matched.append((report, Match(chat_id, keyword, watch.form, watch.context)))
    return matched


_installed: tuple[int, Matcher] | None = None
"""In the CPU worker: the matcher in use and its token. It holds each distinct watch once, by
number; which chats hold it, and since when, stays in the bot's process (`MatcherCache`)."""

_tokens = itertools.count(1)

Hits = list[tuple[str, str, tuple[int, ...]]]
"""What the matcher found in one report: (form, context, numbers of the watches satisfied)."""

_SLICE = 5000
"""Watches indexed between two turns of the event loop: about a millisecond."""


def install_matcher(token: int, watches: Sequence[str], aliases: AliasBook) -> None:
    """In the CPU worker: build the matcher over these distinct watches and keep it under
    `token`; watch number n is `watches[n]`."""
    global _installed
    _installed = None  # the old matcher goes first, so two never live at once
    _installed = token, Matcher.build(enumerate(watches), aliases)
    # The matcher lives until the next watchlist change: keeping its hundreds of thousands of
    # objects out of the cyclic collector's scans keeps each later pause short. What was frozen
    # before is first collected once, so cyclic garbage frozen by an earlier build is freed now
    # rather than kept forever.
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def match_installed(token: int, reports: Sequence[Report]) -> list[Hits] | None:
    """In the CPU worker: what the matcher kept under `token` finds in each report; None when
    that matcher is not there."""
    if _installed is None or _installed[0] != token:
        return None
    matcher = _installed[1]
    return [
        [
            (found.form, found.context, tuple(number for number, _ in found.holders))
            for found in matcher.match(report.title, report.text, regional=report.regional)
        ]
        for report in reports
    ]


class MatcherCache:
    """Matches reports against every watch with a matcher that lives in the CPU worker
    (`watchers.cpu`): building it for 10,000 chats takes most of a second, so it is built only
    when a watchlist changes, once however many polls ask at the same time, and again if the
    worker process was replaced. The worker holds each distinct watch once; the fan-out to the
    chats holding it happens here, from an index that shares the store's objects.

    It keys on the store's watch version when given one (comparing 50,000 watches per poll
    costs more than the poll), else on the watches themselves.
    """

    def __init__(self, aliases: AliasBook) -> None:
        self._aliases = aliases
        self._key: object = None
        self._token = 0
        self._watches: list[str] = []
        self._holders: list[tuple[tuple[int, str], ...]] = []
        self._since: dict[tuple[int, str], datetime] = {}
        self._vetoes: Vetoes = _NO_VETOES
        self._lock = asyncio.Lock()

    async def _index(self, subscriptions: Sequence[Subscription]) -> None:
        """Each distinct watch, in the order first added, with the chats holding it; built a
        slice at a time so that 50,000 watches never hold the event loop."""
        holders: dict[str, list[tuple[int, str]]] = {}
        self._since = {}
        for start in range(0, len(subscriptions), _SLICE):
            for s in subscriptions[start : start + _SLICE]:
                pair = s.chat_id, s.keyword
                holders.setdefault(s.keyword, []).append(pair)
                self._since[pair] = s.since
            await asyncio.sleep(0)
        self._vetoes = await place_vetoes_on_cpu(self._since, self._aliases)
        for pair in self._vetoes:  # held by no watch's start: found, never alerted
            holders.setdefault(pair[1], []).append(pair)
        # Tuples, not lists: once the collector has seen that they hold only numbers and text,
        # it stops visiting them, so its later pauses do not grow with 50,000 watches.
        self._watches, self._holders = list(holders), [tuple(h) for h in holders.values()]

    async def _install(self) -> None:
        token = next(_tokens)
        began = time.perf_counter()
        await on_cpu(install_matcher, token, self._watches, self._aliases)
        logger.info(
            "matcher built over %d distinct watches in %.2f s",
            len(self._watches),
            time.perf_counter() - began,
        )
        self._token = token

    async def match(
        self,
        reports: Sequence[Report],
        subscriptions: Sequence[Subscription],
        version: int | None = None,
    ) -> list[tuple[Report, Match]]:
        """`match_reports` over `subscriptions`, whose store watch version is `version`."""
        key: object = version
        if version is None:
            key = frozenset((s.chat_id, s.keyword) for s in subscriptions)
        async with self._lock:
            if key != self._key:
                self._key = None  # until installed: a failure here must not look current
                await self._index(subscriptions)
                await self._install()
                self._key = key
            found = await on_cpu(match_installed, self._token, reports)
            if found is None:  # a new worker process, which has no matcher yet
                await self._install()
                found = await on_cpu(match_installed, self._token, reports)
            if found is None:
                raise CpuLaneError("the CPU worker process lost the matcher twice in a row")
            matched: list[tuple[Report, Match]] = []
            for report, hits in zip(reports, found, strict=True):
                matched += _fan_out([(report, self._found(hits))], self._since, self._vetoes)
                await asyncio.sleep(0)  # one report to 10,000 chats is ~10 ms: others go between
        return matched

    def _found(self, hits: Hits) -> list[Found]:
        """The worker's hits in one report, each with the chats holding the watches satisfied."""
        return [
            Found(form, tuple(pair for n in numbers for pair in self._holders[n]), context)
            for form, context, numbers in hits
        ]
