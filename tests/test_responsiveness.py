"""bench.responsiveness's arithmetic: the busy cycle of polls spread over the interval."""

from __future__ import annotations

import pytest

from bench.responsiveness import POLL_SECONDS, busy_rounds


def test_busy_time_is_the_union_of_the_polls_in_each_round() -> None:
    polls = [(1.0, 2.0), (1.5, 2.5), (4.0, 4.5), (POLL_SECONDS + 1.0, POLL_SECONDS + 1.2)]
    rounds = busy_rounds(polls, 0.0, 2 * POLL_SECONDS)
    assert rounds == pytest.approx([2.0, 0.2])


def test_a_poll_across_two_rounds_counts_in_each_and_half_rounds_are_left_out() -> None:
    polls = [(POLL_SECONDS - 0.5, POLL_SECONDS + 0.25)]
    rounds = busy_rounds(polls, 0.0, 2.5 * POLL_SECONDS)
    assert rounds == pytest.approx([0.5, 0.25])


def test_polls_outside_the_period_count_for_nothing() -> None:
    assert busy_rounds([(-3.0, -1.0), (20.0, 21.0)], 0.0, POLL_SECONDS) == [0.0]
