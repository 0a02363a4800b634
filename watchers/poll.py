"""One poll of one source: fetch -> reports -> new? -> matched chats -> summary -> alerts.

`collect` turns a source into reports, `match_reports` finds which chats want which new report,
and `Poller.poll` ties them to the stored state (validators, errors, backoff, seen reports).
The bot layer delivers the alerts; nothing here knows about Telegram.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Protocol

import httpx

from watchers.alerts import Summariser
from watchers.cpu import CpuLaneError, on_cpu
from watchers.fetch import (
    FetchResult,
    SourceState,
    next_delay,
    record_failure,
    record_success,
    should_disable,
)
from watchers.matching import AliasBook, Found, Matcher, search_terms
from watchers.models import Alert, Collected, Match, PollResult, Report, Subscription
from watchers.places import Vetoes, place_vetoes_on_cpu, silenced
from watchers.sources import Source
from watchers.summary import clean_text
from watchers.volume import Overflow, cap_matches

__all__ = [
    "BACKLOG_GRACE",
    "MatcherCache",
    "PollOutcome",
    "PollStore",
    "Poller",
    "collect",
    "install_matcher",
    "match_installed",
    "match_reports",
    "plain_reports",
    "since_of",
]

logger = logging.getLogger(__name__)

BACKLOG_GRACE = timedelta(hours=1)
"""A report published this long before a keyword was watched still counts as news to the chat;
older ones (which a search source returns the first time it is asked for a new keyword) only
show in /latest."""

SEARCH_LATENESS = timedelta(hours=6)
"""How long after publication a search engine may first list a report and still alert it."""

DUE_TOLERANCE = 0.25
"""A tick this fraction of the interval early still polls: job jitter must not skip a poll."""


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """Everything one poll changes in the store, written as one transaction: the reports the
    source showed (`seen`, to refresh when they were last seen), those new to the store, the
    source's state, and the alerts to queue for the new ones, with one line per chat for those
    past its cap (`overflow`)."""

    source: str
    state: SourceState
    at: datetime
    seen: Sequence[Report] = ()
    new: Sequence[Report] = ()
    alerts: Sequence[Alert] = ()
    overflow: Sequence[Overflow] = ()


class PollStore(Protocol):
    """The part of the store a poll needs (`bot.storage.Store` provides it)."""

    async def source_state(self, name: str) -> SourceState | None: ...
    async def unseen(self, reports: Sequence[Report]) -> list[Report]: ...
    async def record_poll(self, outcome: PollOutcome) -> list[Alert]: ...


def plain_reports(reports: Sequence[Report], now: datetime | None = None) -> list[Report]:
    """Reports with their text as plain paragraphs (matched, stored and summarised as such, so
    words inside markup never count), and dated `now`, when first seen (default: the current
    time), where their own date lies more than a day ahead (`Report.plausible_date`)."""
    now = now or _now()
    return [replace(r, text=clean_text(r.text), published=r.plausible_date(now)) for r in reports]


async def _collect_raw(
    client: httpx.AsyncClient,
    source: Source,
    state: SourceState,
    keywords: Iterable[str],
    aliases: AliasBook,
    now: datetime,
) -> Collected:
    """`collect` with the text as the source gave it."""
    terms: list[str] = []
    if source.searches:
        terms = search_terms(dict.fromkeys(keywords), aliases)
        if not terms:
            return Collected()
    return await source.collect(client, state, terms, now)


async def collect(
    client: httpx.AsyncClient,
    source: Source,
    state: SourceState,
    subscriptions: Sequence[Subscription],
    aliases: AliasBook,
    now: datetime,
) -> Collected:
    """Fetch and parse one source; search sources ask for every watched keyword's spellings."""
    keywords = (s.keyword for s in subscriptions)
    collected = await _collect_raw(client, source, state, keywords, aliases, now)
    collected.reports = await on_cpu(plain_reports, collected.reports, now)
    return collected


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


def _is_news(report: Report, source: Source, previous: datetime | None, oldest: datetime) -> bool:
    """Whether a newly stored report may be alerted at all, whoever watches it.

    Never past the retention period (a pruned report would look new again). From a search
    source, not when published well before the source's previous success: such a report was
    only returned because some chat just added a keyword, and is backlog to everyone else.
    """
    if report.published is None:
        return True
    if source.searches and previous is not None:
        oldest = max(oldest, previous - SEARCH_LATENESS)
    return report.published >= oldest


def _now() -> datetime:
    return datetime.now(UTC)


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


@dataclass
class Poller:
    """Polls sources against the store; one instance lives as long as the bot.

    `retention` is how long seen reports are remembered: a report published before that is
    never alerted, since once forgotten it would otherwise look new again.
    """

    client: httpx.AsyncClient
    store: PollStore
    aliases: AliasBook
    summariser_factory: Callable[[], Summariser]
    retention: timedelta = timedelta(days=30)
    now: Callable[[], datetime] = _now
    matchers: MatcherCache = field(init=False)

    def __post_init__(self) -> None:
        self.matchers = MatcherCache(self.aliases)

    def _due(self, source: Source, state: SourceState, now: datetime) -> bool:
        if state.disabled:
            return False
        if state.next_poll is None:
            return True
        return (state.next_poll - now).total_seconds() <= source.interval * DUE_TOLERANCE

    async def poll(
        self,
        source: Source,
        subscriptions: Sequence[Subscription],
        version: int | None = None,
        searched: Iterable[str] | None = None,
    ) -> PollResult:
        """Poll `source` if it is due; store what is new and return the alerts queued to send.

        `version` is the store's watch version of `subscriptions`, for the matcher cache;
        `searched`, what a search source asks for (default: the subscriptions' keywords).
        """
        state = await self.store.source_state(source.name) or SourceState()
        now = self.now()
        if not self._due(source, state, now):
            return PollResult(source.name, skipped=True)
        previous = state.last_success  # None: a backlog, however large, is stored, not alerted
        # Text is made plain after the store says what is new: what it already has (most of a
        # feed) is only looked up by id and headline, so cleaning it again would be wasted.
        try:
            keywords = (s.keyword for s in subscriptions) if searched is None else searched
            collected = await _collect_raw(self.client, source, state, keywords, self.aliases, now)
        except CpuLaneError as error:  # its body may be what stopped the worker: back off
            collected = Collected(error=str(error))
        result = PollResult(source.name, fetched=len(collected.reports), error=collected.error)
        if collected.error:
            state = record_failure(state, collected.error, now, retry_after=collected.retry_after)
            if should_disable(state, now):
                state = replace(state, disabled=True)
                result.disabled_now = True
            logger.warning(
                "source %s failed (%d in a row): %s", source.name, state.errors, collected.error
            )
        else:
            state = record_success(
                state,
                collected.response or FetchResult(200),
                now,
                ttl_minutes=collected.ttl_minutes,
            )
        fresh = await on_cpu(plain_reports, await self.store.unseen(collected.reports), now)
        result.new = len(fresh)
        alerts: list[Alert] = []
        overflow: list[Overflow] = []
        alertable = [r for r in fresh if _is_news(r, source, previous, now - self.retention)]
        if previous is None and fresh:
            logger.info(
                "first poll of %s: %d reports stored without alerts", source.name, len(fresh)
            )
        elif alertable:
            matched = await self.matchers.match(alertable, subscriptions, version)
            matched, overflow = cap_matches(matched, source.name)
            if overflow:
                logger.info(
                    "%s: %d chats past the cap get a '+N more' line", source.name, len(overflow)
                )
            alerts = await self.summariser_factory().alerts(matched)
        state = replace(
            state, next_poll=now + timedelta(seconds=next_delay(state, source.interval, now))
        )
        outcome = PollOutcome(source.name, state, now, collected.reports, fresh, alerts, overflow)
        result.alerts = await self.store.record_poll(outcome)
        return result
