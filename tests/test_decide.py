"""The poll's decisions as plain values: no server, no store, no clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from watchers.decide import (
    DUE_TOLERANCE,
    MAX_BACKOFF_SECONDS,
    MAX_TTL_SECONDS,
    SEARCH_LATENESS,
    after_fetch,
    due,
    first_poll,
    news,
    next_delay,
    record_failure,
    record_success,
    scheduled,
    should_disable,
)
from watchers.fetch import FetchResult, SourceState
from watchers.models import Collected, Report

NOW = datetime(2026, 2, 18, 12, 0, tzinfo=UTC)


def test_record_success_resets_errors_and_keeps_validators() -> None:
    failing = SourceState(
        etag='"old"', last_modified="Tue, 17 Feb 2026 00:00:00 GMT", errors=3,
        last_error="x: HTTP 500", first_failure=NOW - timedelta(hours=2), ttl_minutes=30,
    )  # fmt: skip
    not_modified = FetchResult(304, not_modified=True)
    state = record_success(failing, not_modified, NOW)
    assert (state.errors, state.last_error, state.first_failure) == (0, None, None)
    assert (state.etag, state.last_modified) == ('"old"', "Tue, 17 Feb 2026 00:00:00 GMT")
    assert state.last_success == NOW
    assert state.ttl_minutes == 30
    fresh = record_success(state, FetchResult(200, body=b"", etag='"new"'), NOW, ttl_minutes=15)
    assert fresh.etag == '"new"'
    assert fresh.ttl_minutes == 15


def test_record_failure_counts_consecutive_errors() -> None:
    first = record_failure(SourceState(), "a: HTTP 500", NOW)
    second = record_failure(first, "a: timed out", NOW + timedelta(minutes=10))
    assert (second.errors, second.last_error) == (2, "a: timed out")
    assert second.first_failure == NOW
    assert second.next_poll is None
    deferred = record_failure(second, "a: HTTP 429", NOW, retry_after=600)
    assert deferred.next_poll == NOW + timedelta(seconds=600)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (SourceState(), 300),
        (SourceState(ttl_minutes=15), 900),
        (SourceState(ttl_minutes=1), 300),
        (SourceState(ttl_minutes=1440), MAX_TTL_SECONDS),
        (SourceState(errors=1), 600),
        (SourceState(errors=3, ttl_minutes=15), 2400),
        (SourceState(errors=20), MAX_BACKOFF_SECONDS),
        (SourceState(errors=10_000), MAX_BACKOFF_SECONDS),
        (SourceState(next_poll=NOW + timedelta(hours=1)), 3600),
        (SourceState(next_poll=NOW - timedelta(hours=1)), 300),
    ],
)
def test_next_delay(state: SourceState, expected: float) -> None:
    assert next_delay(state, 300, NOW) == expected


def test_should_disable_after_a_day_of_failures() -> None:
    failing = SourceState(errors=40, first_failure=NOW - timedelta(hours=23, minutes=59))
    assert not should_disable(failing, NOW)
    assert should_disable(failing, NOW + timedelta(minutes=1))
    assert should_disable(failing, NOW, after=timedelta(hours=1))
    assert not should_disable(SourceState(), NOW)
    assert should_disable(SourceState(disabled=True), NOW)


def test_a_source_is_due_when_never_polled_or_its_time_has_come() -> None:
    assert due(SourceState(), 60, NOW)
    assert due(SourceState(next_poll=NOW - timedelta(seconds=1)), 60, NOW)
    assert not due(SourceState(next_poll=NOW + timedelta(seconds=30)), 60, NOW)
    assert not due(SourceState(disabled=True), 60, NOW)


def test_a_tick_a_little_early_is_due() -> None:
    """The job queue's jitter may fire a few seconds before the stored next poll."""
    early = SourceState(next_poll=NOW + timedelta(seconds=60 * DUE_TOLERANCE))
    assert due(early, 60, NOW)
    assert not due(replace(early, next_poll=early.next_poll + timedelta(seconds=1)), 60, NOW)


def test_a_first_poll_is_one_without_a_success_before() -> None:
    assert first_poll(SourceState())
    assert first_poll(SourceState(errors=3, first_failure=NOW))
    assert not first_poll(SourceState(last_success=NOW))


def test_after_a_success_the_validators_and_ttl_are_kept() -> None:
    collected = Collected(response=FetchResult(200, etag='"e"'), ttl_minutes=15)
    state, switched_off = after_fetch(SourceState(errors=2, first_failure=NOW), collected, NOW)
    assert (state.errors, state.etag, state.ttl_minutes, state.last_success) == (0, '"e"', 15, NOW)
    assert not switched_off


def test_a_failure_counts_and_a_day_of_them_switches_the_source_off() -> None:
    state, switched_off = after_fetch(SourceState(), Collected(error="a: HTTP 500"), NOW)
    assert (state.errors, state.last_error, switched_off) == (1, "a: HTTP 500", False)
    later = NOW + timedelta(hours=24)
    state, switched_off = after_fetch(state, Collected(error="a: HTTP 500"), later)
    assert (state.errors, state.disabled, switched_off) == (2, True, True)


def test_retry_after_defers_the_next_poll() -> None:
    failed = Collected(error="a: HTTP 429", retry_after=600)
    state, _ = after_fetch(SourceState(), failed, NOW)
    assert scheduled(state, 60, NOW).next_poll == NOW + timedelta(seconds=600)


def test_the_next_poll_is_an_interval_on_or_backed_off() -> None:
    assert scheduled(SourceState(), 60, NOW).next_poll == NOW + timedelta(seconds=60)
    assert scheduled(SourceState(errors=2), 60, NOW).next_poll == NOW + timedelta(seconds=240)


def _report(n: int, published: datetime | None) -> Report:
    url = f"https://wire.test/{n}"
    return Report(id=url, url=url, canonical_url=url, title=f"Story {n}", published=published)


def test_a_first_polls_reports_are_all_backlog() -> None:
    reports = [_report(1, NOW), _report(2, None)]
    assert news(reports, previous=None, searches=False, oldest=NOW - timedelta(days=30)) == []


def test_reports_older_than_the_retention_are_backlog() -> None:
    kept = [_report(1, NOW), _report(2, None)]
    ancient = _report(3, NOW - timedelta(days=40))
    oldest = NOW - timedelta(days=30)
    assert news([*kept, ancient], previous=NOW, searches=False, oldest=oldest) == kept


def test_a_search_sources_old_results_are_backlog() -> None:
    """What a search returns only because some chat just added a keyword is not news."""
    previous = NOW - timedelta(minutes=5)
    late = _report(1, previous - SEARCH_LATENESS)
    older = _report(2, previous - SEARCH_LATENESS - timedelta(minutes=1))
    oldest = NOW - timedelta(days=30)
    assert news([late, older], previous=previous, searches=True, oldest=oldest) == [late]
    assert news([late, older], previous=previous, searches=False, oldest=oldest) == [late, older]
