"""The sender's pacing, driven by a fake clock: no event loop, no sleeps, no servers."""

from __future__ import annotations

import pytest

from bot.delivery import CHAT_GAP, GROUP_PER_MINUTE, MAX_BACKOFF, MIN_BACKOFF, Pacing

USER = 1001
OTHER = 1002
GROUP = -1_001_234


class Clock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_sends_go_exactly_one_rate_step_apart(clock: Clock) -> None:
    pacing = Pacing(rate=10.0, clock=clock)
    waits = [pacing.reserve(chat) for chat in range(1, 5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_a_quiet_spell_does_not_bank_slots(clock: Clock) -> None:
    pacing = Pacing(rate=10.0, clock=clock)
    pacing.reserve(1)
    clock.advance(5.0)
    assert pacing.reserve(2) == 0.0
    assert pacing.reserve(3) == pytest.approx(0.1)


def test_a_chat_waits_its_gap_from_its_slot(clock: Clock) -> None:
    pacing = Pacing(rate=10.0, chat_gap=CHAT_GAP, clock=clock)
    pacing.reserve(OTHER)
    pacing.reserve(USER)  # its slot is 0.1 s from now
    assert pacing.held() == {USER, OTHER}
    clock.advance(CHAT_GAP)
    assert pacing.held() == {USER}
    clock.advance(0.1)
    assert pacing.held() == set()


def test_a_group_gets_its_limit_a_minute_and_then_waits(clock: Clock) -> None:
    pacing = Pacing(rate=1000.0, chat_gap=0.0, clock=clock)
    for _ in range(GROUP_PER_MINUTE):
        assert pacing.group_has_room(GROUP)
        pacing.reserve(GROUP)
    assert not pacing.group_has_room(GROUP)
    assert GROUP in pacing.held()
    clock.advance(59.0)
    assert not pacing.group_has_room(GROUP)
    clock.advance(1.0)  # a minute after the first of them
    assert pacing.group_has_room(GROUP)
    assert pacing.held() == set()


def test_private_chats_have_no_minute_limit(clock: Clock) -> None:
    pacing = Pacing(rate=1000.0, chat_gap=0.0, group_per_minute=2, clock=clock)
    for _ in range(5):
        pacing.reserve(USER)
    clock.advance(0.01)  # past the slots
    assert pacing.group_has_room(USER)
    assert pacing.held() == set()


def test_a_429_holds_its_chat_alone_and_never_shortens_a_hold(clock: Clock) -> None:
    pacing = Pacing(clock=clock)
    pacing.hold(USER, 30.0)
    pacing.hold(USER, 5.0)
    assert pacing.held() == {USER}
    clock.advance(29.0)
    assert pacing.held() == {USER}
    clock.advance(1.0)
    assert pacing.held() == set()


def test_next_wake_is_when_the_first_held_chat_may_go(clock: Clock) -> None:
    pacing = Pacing(chat_gap=CHAT_GAP, clock=clock)
    assert pacing.next_wake(5.0) == 5.0  # nothing held: the idle check
    pacing.hold(OTHER, 3.0)
    pacing.reserve(USER)
    assert pacing.next_wake(5.0) == pytest.approx(CHAT_GAP)
    clock.advance(CHAT_GAP)
    assert pacing.next_wake(5.0) == pytest.approx(3.0 - CHAT_GAP)
    assert pacing.next_wake(0.5) == 0.5
    clock.advance(3.0 - CHAT_GAP - 0.001)
    assert pacing.next_wake(5.0) == 0.01  # never a busy wait


def test_next_wake_for_a_full_group_is_a_minute_after_its_first_send(clock: Clock) -> None:
    pacing = Pacing(rate=1000.0, chat_gap=0.0, group_per_minute=2, clock=clock)
    pacing.reserve(GROUP)
    clock.advance(10.0)
    pacing.reserve(GROUP)
    assert pacing.next_wake(120.0) == pytest.approx(50.0)


def test_outages_pause_everything_longer_each_time_up_to_the_cap(clock: Clock) -> None:
    pacing = Pacing(clock=clock)
    pauses = []
    for _ in range(10):
        pause = pacing.pause(pacing.epoch)
        assert pause is not None
        pauses.append(pause)
    assert pauses[:3] == [MIN_BACKOFF, 2 * MIN_BACKOFF, 4 * MIN_BACKOFF]
    assert pauses[-1] == MAX_BACKOFF
    assert max(pauses) == MAX_BACKOFF


def test_a_pause_holds_every_send_until_it_ends(clock: Clock) -> None:
    pacing = Pacing(clock=clock)
    assert not pacing.paused()
    assert pacing.pause_left() <= 0
    assert pacing.pause(pacing.epoch) == MIN_BACKOFF
    assert pacing.paused()
    assert pacing.pause_left() == MIN_BACKOFF
    clock.advance(MIN_BACKOFF)
    assert not pacing.paused()


def test_failures_of_sends_begun_before_a_pause_count_once(clock: Clock) -> None:
    pacing = Pacing(clock=clock)
    begun = pacing.epoch  # several sends in flight when Telegram goes away
    assert pacing.pause(begun) == MIN_BACKOFF
    assert pacing.pause(begun) is None
    assert pacing.pause(begun) is None
    assert pacing.pause(pacing.epoch) == 2 * MIN_BACKOFF


def test_an_answer_resets_the_backoff(clock: Clock) -> None:
    pacing = Pacing(clock=clock)
    pacing.pause(pacing.epoch)
    pacing.pause(pacing.epoch)
    pacing.answered()
    assert pacing.pause(pacing.epoch) == MIN_BACKOFF
