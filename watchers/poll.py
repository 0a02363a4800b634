"""One poll of one source, one way: fetch -> unseen -> clean and match -> fan out -> summarise
-> record.

`Poller.poll` carries out what `watchers.decide` decides (due?, the source's next state, which
new reports are news rather than backlog). The source fetches and parses (in the CPU worker);
the store says which reports are new; ONE step in the worker makes those plain and matches them
all (`watchers.matchlane`), backlog too, since /latest shows it; `watchers.fanout` turns the
news among them into one match per chat, `watchers.volume` caps them, the summariser writes the
alerts; and the store records it all in one transaction: the new reports with what matched
them, the source's state and the alerts. The bot layer delivers the alerts; nothing here knows
about Telegram.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from watchers import decide
from watchers.alerts import Summariser
from watchers.cpu import CpuLaneError
from watchers.fanout import TEXT_WINDOW, fan_out
from watchers.matching import AliasBook, search_terms
from watchers.matchlane import MatcherCache
from watchers.models import (
    Alert,
    Collected,
    Match,
    Matched,
    Overflow,
    PollOutcome,
    PollResult,
    Report,
    SourceState,
    Subscription,
)
from watchers.sources import Source
from watchers.telling import leads
from watchers.volume import cap_matches

__all__ = ["PollStore", "Poller", "collect"]

logger = logging.getLogger(__name__)

CATCH_UP = 100
"""Stored reports matched again per step of a catch-up: the bot holds this many texts at once."""


class PollStore(Protocol):
    """The part of the store a poll needs (`bot.store.Store.polls` provides it)."""

    async def source_state(self, name: str) -> SourceState | None: ...
    async def unseen(self, reports: Sequence[Report]) -> list[Report]: ...
    async def record_poll(self, outcome: PollOutcome) -> list[Alert]: ...
    async def unmatched(self, window: int, count: int) -> list[Report]: ...
    async def record_matches(self, matched: Matched) -> None: ...
    async def watch_ids(self, watches: Sequence[str]) -> list[int]: ...
    async def grouped(
        self, since: datetime, cursor: tuple[str, str] | None, count: int
    ) -> tuple[Sequence[tuple[Report, datetime]], tuple[str, str] | None]: ...


async def collect(
    client: httpx.AsyncClient,
    source: Source,
    state: SourceState,
    keywords: Iterable[str],
    aliases: AliasBook,
    now: datetime,
) -> Collected:
    """Fetch and parse one source, its text as the source gave it; a search source asks for
    every spelling of the keywords, and for nothing when there are none."""
    terms: list[str] = []
    if source.searches:
        terms = search_terms(dict.fromkeys(keywords), aliases)
        if not terms:
            return Collected()
    return await source.collect(client, state, terms, now)


def _now() -> datetime:
    return datetime.now(UTC)


def _no_language(chat_id: int) -> str | None:
    return None


@dataclass
class Poller:
    """Polls sources against the store; one instance lives as long as the bot.

    `retention` is how long seen reports are remembered: a report published before that is
    never alerted, since once forgotten it would otherwise look new again. `language` gives a
    chat's language, whose report of a story leads its alert (`watchers.telling.leads`).
    """

    client: httpx.AsyncClient
    store: PollStore
    aliases: AliasBook
    summariser_factory: Callable[[], Summariser]
    retention: timedelta = timedelta(days=30)
    now: Callable[[], datetime] = _now
    language: Callable[[int], str | None] = _no_language
    matchers: MatcherCache = field(init=False)
    _caught_up: int = field(init=False, default=0)
    _catching_up: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.matchers = MatcherCache(self.aliases, self.store.watch_ids, self.store.grouped)

    async def poll(
        self,
        source: Source,
        subscriptions: Sequence[Subscription],
        version: int | None = None,
        searched: Iterable[str] | None = None,
    ) -> PollResult:
        """Poll `source` if it is due; store what is new and return the alerts queued to send.

        `version` is the store's watch version of `subscriptions`, for the matcher cache;
        `searched`, what a search source asks for (default: the subscriptions' keywords), is
        matched too, so that a paused chat's watches find their reports in the match index.
        """
        state = await self.store.source_state(source.name) or SourceState()
        now = self.now()
        if not decide.due(state, source.interval, now):
            return PollResult(source.name, skipped=True)
        previous = None if decide.first_poll(state) else state.last_success
        unheld = () if searched is None else tuple(searched)
        try:
            keywords = (s.keyword for s in subscriptions) if searched is None else unheld
            collected = await collect(self.client, source, state, keywords, self.aliases, now)
        except CpuLaneError as error:  # its body may be what stopped the worker: back off
            collected = Collected(error=str(error))
        result = PollResult(source.name, fetched=len(collected.reports), error=collected.error)
        state, result.disabled_now = decide.after_fetch(state, collected, now)
        if collected.error:
            logger.warning(
                "source %s failed (%d in a row): %s", source.name, state.errors, collected.error
            )
        # Text is made plain after the store says what is new: what it already has (most of a
        # feed) is only looked up by id and headline, so cleaning it again would be wasted.
        fresh = await self.store.unseen(collected.reports)
        matched: Matched | None = None
        alerts: list[Alert] = []
        overflow: list[Overflow] = []
        if fresh:
            fresh, matched, audience = await self.matchers.clean_and_match(
                fresh, subscriptions, version, now, unheld
            )
            news = decide.news(
                fresh, previous=previous, searches=source.searches, oldest=now - self.retention
            )
            if previous is None:
                logger.info(
                    "first poll of %s: %d reports stored without alerts", source.name, len(fresh)
                )
            matches: list[tuple[Report, Match]] = []
            for report in news:
                hits = self.matchers.hits(matched.hits.get(report.id))
                found = fan_out(report, hits, audience)
                matches += ((report, match) for match in found)
                await asyncio.sleep(0)  # one report to 10,000 chats is ~10 ms: others go between
            if matches:
                matches = leads(matches, self.language)  # one per chat and story
                matches, overflow = cap_matches(matches, source.name)
                if overflow:
                    logger.info(
                        "%s: %d chats past the cap get a '+N more' line", source.name, len(overflow)
                    )
                alerts = await self.summariser_factory().alerts(matches)
        result.new = len(fresh)
        state = decide.scheduled(state, source.interval, now)
        outcome = PollOutcome(
            source.name, state, now, collected.reports, fresh, alerts, overflow, matched
        )
        result.alerts = await self.store.record_poll(outcome)
        if matched is not None:
            try:
                await self._catch_up(subscriptions, version, unheld)
            except CpuLaneError as error:  # the poll is stored: only the catch-up waits
                logger.warning("matching stored reports again stopped: %s", error)
        return result

    async def _catch_up(
        self, subscriptions: Sequence[Subscription], version: int | None, unheld: Sequence[str]
    ) -> None:
        """After a new matcher's first poll: match the newest stored reports that an older
        matcher (or none) matched, so that a new watch's matches among them are stored too.
        Among the `TEXT_WINDOW` newest, once per matcher, `CATCH_UP` at a time."""
        async with self._catching_up:
            generation = self.matchers.generation
            if generation == self._caught_up:
                return
            done = 0
            for _ in range(-(-TEXT_WINDOW // CATCH_UP)):  # each report of the window once
                stale = await self.store.unmatched(TEXT_WINDOW, CATCH_UP)
                if not stale:
                    break
                matched, _ = await self.matchers.match(stale, subscriptions, version, unheld)
                await self.store.record_matches(matched)
                done += len(stale)
                if matched.generation != generation:
                    break  # a newer matcher catches up in its turn
            if done:
                logger.info("matched %d stored reports a new watch had not seen", done)
            self._caught_up = generation
