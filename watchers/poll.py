"""One poll of one source: fetch -> reports -> new? -> matched chats -> summary -> alerts.

`collect` turns a source into reports, `watchers.fanout` finds which chats want which new
report, and `Poller.poll` ties them to the stored state (validators, errors, backoff, seen
reports).
The bot layer delivers the alerts; nothing here knows about Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from watchers.alerts import Summariser
from watchers.cpu import CpuLaneError, on_cpu
from watchers.fanout import MatcherCache
from watchers.fetch import (
    FetchResult,
    next_delay,
    record_failure,
    record_success,
    should_disable,
)
from watchers.matching import AliasBook, search_terms
from watchers.models import (
    Alert,
    Collected,
    Overflow,
    PollOutcome,
    PollResult,
    Report,
    SourceState,
    Subscription,
)
from watchers.sources import Source
from watchers.summary import clean_text
from watchers.volume import cap_matches

__all__ = ["PollStore", "Poller", "collect", "plain_reports"]

logger = logging.getLogger(__name__)

SEARCH_LATENESS = timedelta(hours=6)
"""How long after publication a search engine may first list a report and still alert it."""

DUE_TOLERANCE = 0.25
"""A tick this fraction of the interval early still polls: job jitter must not skip a poll."""


class PollStore(Protocol):
    """The part of the store a poll needs (`bot.store.Store.polls` provides it)."""

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
