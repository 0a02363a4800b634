"""The matcher's one way to run: in the CPU worker (`watchers.cpu`), kept there between polls,
with the open stories (`watchers.stories`) beside it.

Building the matcher for 10,000 chats takes most of a second, so it is built in the worker only
when a watchlist changes (`install_matcher`) and lives there. After the store has said which of
a poll's reports are new, ONE step there makes them plain (`plain_reports`) and matches them
(`clean_and_match`); it answers with the distinct watches each report satisfies, never with
chats, as one compact record per report of watch numbers (`watchers.packed`): no watch text
crosses the pipe. `MatcherCache` is the bot's side: it numbers the watches with the store's
watch ids, keeps the worker's matcher current, says which matcher found what (`Matched`), for
the store, and turns a report's record back into `Hit`s of raw watches for `watchers.fanout`.
Polls, `newswatch scan` and the text matching of /latest (`match_texts`) all run here.

The same step groups the new reports into stories: each plain report comes back with its
`story`. The open stories live in the worker too (`StoryBook`); a new worker process has none,
so the bot hands it the stored reports of the stories still open (`reopen`) before it groups.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from watchers.cpu import CpuLaneError, on_cpu
from watchers.fanout import EMPTY, Audience, audience_of
from watchers.matching import AliasBook, Matcher
from watchers.models import Hit, Matched, Packed, Report, Subscription
from watchers.packed import pack, unpack
from watchers.stories import OPEN_FOR, PlaceFinder, StoryBook
from watchers.summary import clean_text

__all__ = [
    "MatcherCache",
    "clean_and_match",
    "group_stories",
    "install_matcher",
    "match_installed",
    "match_texts",
    "open_stories",
    "plain_reports",
]

logger = logging.getLogger(__name__)

_installed: tuple[int, Matcher] | None = None
"""In the CPU worker: the matcher in use and its token."""

_texts: tuple[tuple[str, ...], Matcher] | None = None
"""In the CPU worker: the last matcher `match_texts` built, for the same watches asked again."""

_book: tuple[int, StoryBook, PlaceFinder] | None = None
"""In the CPU worker: the open stories, under the token they were opened with."""

_tokens = itertools.count(1)

Reopen = Callable[
    [datetime, tuple[str, str] | None, int],
    Awaitable[tuple[Sequence[tuple[Report, datetime]], tuple[str, str] | None]],
]
"""(since, cursor, count) -> a page of stored (report, first seen) of the stories grown since
`since`, oldest first, and the cursor of the next page (None after the last)."""

REOPEN_PAGE = 1000
"""Stored reports handed to a new worker's story book per step."""


def plain_reports(reports: Sequence[Report], now: datetime | None = None) -> list[Report]:
    """Reports with their text as plain paragraphs (matched, stored and summarised as such, so
    words inside markup never count), and dated `now`, when first seen (default: the current
    time), where their own date lies more than a day ahead (`Report.plausible_date`)."""
    now = now or datetime.now(UTC)
    return [replace(r, text=clean_text(r.text), published=r.plausible_date(now)) for r in reports]


def _hits(matcher: Matcher, reports: Sequence[Report]) -> list[Packed | None]:
    """The distinct watches each report satisfies, by the numbers of the raw watches they
    stand for, one record per report (None: none)."""
    return [
        pack(
            (found.form, found.context, (number for number, _ in found.holders))
            for found in matcher.match(report.title, report.text, regional=report.regional)
        )
        for report in reports
    ]


def install_matcher(token: int, watches: Sequence[tuple[int, str]], aliases: AliasBook) -> None:
    """In the CPU worker: build the matcher over these distinct (number, raw) watches and keep
    it under `token`."""
    global _installed
    _installed = None  # the old matcher goes first, so two never live at once
    _installed = token, Matcher.build(watches, aliases)
    # The matcher lives until the next watchlist change: keeping its hundreds of thousands of
    # objects out of the cyclic collector's scans keeps each later pause short. What was frozen
    # before is first collected once, so cyclic garbage frozen by an earlier build is freed now
    # rather than kept forever.
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def match_installed(token: int, reports: Sequence[Report]) -> list[Packed | None] | None:
    """In the CPU worker: what the matcher kept under `token` finds in each report; None when
    that matcher is not there."""
    if _installed is None or _installed[0] != token:
        return None
    return _hits(_installed[1], reports)


def open_stories(token: int, aliases: AliasBook, stored: Sequence[tuple[Report, datetime]]) -> None:
    """In the CPU worker: open a story book under `token` (one already under it is kept), and
    reopen in it the stories of these stored reports, (report, first seen), oldest first."""
    global _book
    if _book is None or _book[0] != token:
        _book = None
        _book = token, StoryBook(), PlaceFinder(aliases)
    _, book, finder = _book
    book.restore((report.story, finder.fingerprint(report, seen)) for report, seen in stored)


def group_stories(token: int, reports: Sequence[Report], now: datetime) -> list[Report] | None:
    """In the CPU worker: the reports, first seen `now`, each with the story it joins or opens
    in the book under `token`; None when that book is not there."""
    if _book is None or _book[0] != token:
        return None
    _, book, finder = _book
    stories = book.assign(finder.fingerprints(reports, now))
    return [replace(r, story=story) for r, story in zip(reports, stories, strict=True)]


def clean_and_match(
    token: int, book: int, reports: Sequence[Report], now: datetime
) -> tuple[list[Report], bool, list[Packed | None] | None]:
    """In the CPU worker, the one step of a poll after the unseen check: the new reports made
    plain (`plain_reports`) and grouped into stories by the book under `book`, whether they
    were (not when that book is not there), and what the matcher under `token` finds in them
    (None when that matcher is not there)."""
    plain = plain_reports(reports, now)
    grouped = group_stories(book, plain, now)
    return grouped or plain, grouped is not None, match_installed(token, plain)


def match_texts(
    watches: Sequence[str], aliases: AliasBook, reports: Sequence[Report]
) -> list[Packed | None]:
    """In the CPU worker: what a matcher of just these watches finds in stored reports, the
    watches numbered by their place in `watches` (the matcher is kept for the next call with
    the same watches, whose words it has already looked up)."""
    global _texts
    key = tuple(watches)
    if _texts is None or _texts[0] != key:
        _texts = None
        _texts = key, Matcher.build(enumerate(key), aliases)
    return _hits(_texts[1], reports)


class MatcherCache:
    """Keeps the CPU worker's matcher current: built when a watchlist changes, once however
    many polls ask at the same time, and again if the worker process was replaced. It keys on
    the store's watch version when given one (comparing 50,000 watches per poll costs more than
    the poll), else on the watches themselves.

    Each build gets a `generation`, a number larger than any before it (nanoseconds of the
    clock, moved on when the clock is not ahead), stored with what it matched. The worker's
    matcher numbers each watch with the id `ids` (the store's) gives it, so what it finds is
    stored as it comes; without `ids` (a dry run) the watches are numbered in order.

    It also keeps the worker's story book open: a new worker's book is given the stored reports
    of the stories still open, page by page, by `reopen` (from a (sort time, id) cursor, None
    first; without it, as in a dry run, the book starts empty).
    """

    def __init__(
        self,
        aliases: AliasBook,
        ids: Callable[[Sequence[str]], Awaitable[Sequence[int]]] | None = None,
        reopen: Reopen | None = None,
    ) -> None:
        self._aliases = aliases
        self._ids = ids
        self._reopen = reopen
        self._book = 0
        self._key: object = None
        self._token = 0
        self.audience = EMPTY
        self.watches: list[str] = []  # the audience's distinct watches, as the worker holds them
        self.numbers: list[int] = []  # the number of each, as the worker's matcher gives it
        self._names: dict[int, str] = {}
        self.generation = 0
        self._lock = asyncio.Lock()

    async def _install(self) -> None:
        token = next(_tokens)
        began = time.perf_counter()
        numbered = list(zip(self.numbers, self.watches, strict=True))
        await on_cpu(install_matcher, token, numbered, self._aliases)
        logger.info(
            "matcher built over %d distinct watches in %.2f s",
            len(self.watches),
            time.perf_counter() - began,
        )
        self._token = token

    async def _current(
        self, subscriptions: Sequence[Subscription], version: int | None, unheld: Sequence[str]
    ) -> None:
        key: object = version
        if version is None:
            key = frozenset((s.chat_id, s.keyword) for s in subscriptions), frozenset(unheld)
        if key != self._key:
            self._key = None  # until installed: a failure here must not look current
            self.audience = await audience_of(subscriptions, self._aliases, unheld)
            self.watches = self.audience.watches
            ids = self._ids
            self.numbers = list(await ids(self.watches) if ids else range(len(self.watches)))
            self._names = dict(zip(self.numbers, self.watches, strict=True))
            await self._install()
            self.generation = max(time.time_ns(), self.generation + 1)
            self._key = key

    async def _open_book(self, now: datetime) -> None:
        """Open a story book in the worker and reopen the stored stories still open `now`."""
        token = next(_tokens)
        await on_cpu(open_stories, token, self._aliases, ())
        cursor: tuple[str, str] | None = None
        reopened = 0
        while self._reopen is not None:
            page, cursor = await self._reopen(now - OPEN_FOR, cursor, REOPEN_PAGE)
            await on_cpu(open_stories, token, self._aliases, page)
            reopened += len(page)
            if cursor is None:
                break
        if reopened:
            logger.info("stories reopened from %d stored reports", reopened)
        self._book = token

    def _matched(self, reports: Sequence[Report], found: Sequence[Packed | None]) -> Matched:
        by_report = {r.id: h for r, h in zip(reports, found, strict=True) if h}
        return Matched(self.generation, self.numbers, reports, by_report)

    def hits(self, packed: Packed | None) -> list[Hit]:
        """A report's record from the current matcher as `Hit`s of raw watches, for
        `watchers.fanout.fan_out`."""
        if packed is None:
            return []
        return unpack(packed, self._names)

    async def clean_and_match(
        self,
        reports: Sequence[Report],
        subscriptions: Sequence[Subscription],
        version: int | None,
        now: datetime,
        unheld: Sequence[str] = (),
    ) -> tuple[list[Report], Matched, Audience]:
        """New reports made plain and matched against `subscriptions` (whose store watch version
        is `version`; `unheld`, more watches that alert nobody, see `audience_of`) in one worker
        step; with the audience to fan the hits out to."""
        async with self._lock:
            await self._current(subscriptions, version, unheld)
            plain, grouped, found = await on_cpu(
                clean_and_match, self._token, self._book, reports, now
            )
            if found is None:  # a new worker process, which has no matcher yet
                await self._install()
                found = await on_cpu(match_installed, self._token, plain)
            if not grouped:  # nor stories
                await self._open_book(now)
                regrouped = await on_cpu(group_stories, self._book, plain, now)
                plain = regrouped or plain
            if found is None:
                raise CpuLaneError("the CPU worker process lost the matcher twice in a row")
            return plain, self._matched(plain, found), self.audience

    async def match(
        self,
        reports: Sequence[Report],
        subscriptions: Sequence[Subscription],
        version: int | None = None,
        unheld: Sequence[str] = (),
    ) -> tuple[Matched, Audience]:
        """Plain (stored) reports matched against `subscriptions`, as `clean_and_match` does."""
        async with self._lock:
            await self._current(subscriptions, version, unheld)
            found = await on_cpu(match_installed, self._token, reports)
            if found is None:
                await self._install()
                found = await on_cpu(match_installed, self._token, reports)
            if found is None:
                raise CpuLaneError("the CPU worker process lost the matcher twice in a row")
            return self._matched(reports, found), self.audience
