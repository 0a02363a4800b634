"""What a poll decides, apart from the pipeline that carries it out (`watchers.poll`).

Pure functions of the source's state, what the fetch gave and the time `now`: whether a source
is due, what its state becomes after a success or a failure (validators, backoff, switching it
off), when it is polled next, and which new reports are news rather than backlog. Nothing here
does I/O or reads a clock, so each decision is tested with plain values (tests/test_decide.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from watchers.fetch import FetchResult
from watchers.models import Collected, Report, SourceState

__all__ = [
    "DUE_TOLERANCE",
    "MAX_BACKOFF_SECONDS",
    "MAX_TTL_SECONDS",
    "SEARCH_LATENESS",
    "after_fetch",
    "due",
    "first_poll",
    "news",
    "next_delay",
    "record_failure",
    "record_success",
    "scheduled",
    "should_disable",
]

MAX_BACKOFF_SECONDS = 6 * 60 * 60
MAX_TTL_SECONDS = 2 * 60 * 60
"""A feed's `<ttl>` is honoured up to this: a day-long ttl must not hide a day of news."""

SEARCH_LATENESS = timedelta(hours=6)
"""How long after publication a search engine may first list a report and still alert it."""

DUE_TOLERANCE = 0.25
"""A tick this fraction of the interval early still polls: job jitter must not skip a poll."""


def due(state: SourceState, interval: float, now: datetime) -> bool:
    """Whether a source polled every `interval` seconds is to be polled at `now`."""
    if state.disabled:
        return False
    if state.next_poll is None:
        return True
    return (state.next_poll - now).total_seconds() <= interval * DUE_TOLERANCE


def first_poll(state: SourceState) -> bool:
    """Whether the source never answered before: then all it shows is backlog, however large,
    stored for /latest but alerted to nobody."""
    return state.last_success is None


def record_success(
    state: SourceState, result: FetchResult, now: datetime, *, ttl_minutes: int | None = None
) -> SourceState:
    """Clear the error streak and keep the validators for the next conditional GET.

    A 304 may omit the validators, so the stored ones are kept unless new ones arrive;
    `ttl_minutes=None` (unknown, as after a 304) keeps the stored ttl.
    """
    return dataclasses.replace(
        state,
        etag=result.etag or state.etag,
        last_modified=result.last_modified or state.last_modified,
        errors=0,
        last_success=now,
        last_error=None,
        first_failure=None,
        next_poll=None,
        ttl_minutes=ttl_minutes if ttl_minutes is not None else state.ttl_minutes,
    )


def record_failure(
    state: SourceState, error: str, now: datetime, *, retry_after: float | None = None
) -> SourceState:
    """Count one more consecutive failure; `retry_after` (seconds) defers the next poll."""
    return dataclasses.replace(
        state,
        errors=state.errors + 1,
        last_error=error,
        first_failure=state.first_failure or now,
        next_poll=now + timedelta(seconds=retry_after) if retry_after is not None else None,
    )


def should_disable(
    state: SourceState, now: datetime, after: timedelta = timedelta(hours=24)
) -> bool:
    """True once a source has been failing without a single success for `after`."""
    if state.disabled:
        return True
    return (
        state.errors > 0 and state.first_failure is not None and now - state.first_failure >= after
    )


def after_fetch(
    state: SourceState, collected: Collected, now: datetime
) -> tuple[SourceState, bool]:
    """The source's state after what one fetch gave, and whether it was switched off just now
    (a day of failures without a success)."""
    if collected.error is None:
        response = collected.response or FetchResult(200)
        return record_success(state, response, now, ttl_minutes=collected.ttl_minutes), False
    state = record_failure(state, collected.error, now, retry_after=collected.retry_after)
    if not state.disabled and should_disable(state, now):
        return dataclasses.replace(state, disabled=True), True
    return state, False


def next_delay(state: SourceState, base_seconds: float, now: datetime) -> float:
    """Seconds until the next poll: backoff on errors, the feed's ttl, and any Retry-After.

    Each consecutive error doubles the wait (capped at 6 hours); a healthy feed is polled at
    the base rate or its `<ttl>` (capped at `MAX_TTL_SECONDS`), whichever is slower.
    """
    if state.errors:
        delay = min(base_seconds * 2 ** min(state.errors, 32), MAX_BACKOFF_SECONDS)
    else:
        ttl = min((state.ttl_minutes or 0) * 60, MAX_TTL_SECONDS)
        delay = max(base_seconds, ttl)
    if state.next_poll is not None:
        delay = max(delay, (state.next_poll - now).total_seconds())
    return float(delay)


def scheduled(state: SourceState, interval: float, now: datetime) -> SourceState:
    """The state with its next poll set (see `next_delay`)."""
    return dataclasses.replace(
        state, next_poll=now + timedelta(seconds=next_delay(state, interval, now))
    )


def news(
    reports: Sequence[Report],
    *,
    previous: datetime | None,
    searches: bool,
    oldest: datetime,
) -> list[Report]:
    """The newly stored reports that may be alerted at all, whoever watches them; the rest is
    backlog, stored for /latest only.

    None after a first poll (`previous`, the source's last success before this poll, is None).
    Never a report published before `oldest` (the retention period: a pruned report would look
    new again). From a search source, not one published well before its previous success: such
    a report was only returned because some chat just added a keyword, and is backlog to
    everyone else.
    """
    if previous is None:
        return []
    if searches:
        oldest = max(oldest, previous - SEARCH_LATENESS)
    return [r for r in reports if r.published is None or r.published >= oldest]
