"""Telegram's refusals of an alert, read as typed answers and the store's outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.delivery import Hold, Moved, Outage, Resend, Unreachable, read_answer, retry_seconds
from bot.store import OutboxStatus, Outcome

CHAT = 2001
REPORT = "r1"


def _read(error: TelegramError, *, plain: bool = False, in_thread: bool = False) -> object:
    return read_answer(error, CHAT, REPORT, plain=plain, in_thread=in_thread)


def test_a_429_holds_the_chat_for_the_wait_telegram_asked() -> None:
    assert _read(RetryAfter(timedelta(seconds=7))) == Hold(7.0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PTB warns about int retry_after
def test_retry_after_in_seconds_or_as_a_timedelta() -> None:
    assert retry_seconds(RetryAfter(timedelta(seconds=1.5))) == 1.5
    assert retry_seconds(RetryAfter(3)) == 3.0


def test_a_migrated_group_moves_to_its_supergroup() -> None:
    assert _read(ChatMigrated(-1_009_999)) == Moved(-1_009_999)


@pytest.mark.parametrize(
    "error",
    [Forbidden("Forbidden: bot was blocked by the user"), BadRequest("Chat not found")],
)
def test_a_blocked_or_vanished_chat_is_unreachable(error: TelegramError) -> None:
    assert _read(error) == Unreachable(error.message)


def test_html_refused_is_sent_again_as_plain_text_once() -> None:
    error = BadRequest("Can't parse entities: unclosed start tag at byte offset 0")
    assert _read(error) is Resend.PLAIN
    assert _read(error, plain=True) == Outcome(CHAT, REPORT, OutboxStatus.FAILED, error.message)


def test_a_deleted_topic_sends_to_the_chat_itself() -> None:
    error = BadRequest("Message thread not found")
    assert _read(error, in_thread=True) is Resend.TO_CHAT
    assert _read(error) == Outcome(CHAT, REPORT, OutboxStatus.FAILED, error.message)


def test_any_other_400_is_a_final_failure_with_its_reason() -> None:
    error = BadRequest("Need administrator rights in the channel chat")
    assert _read(error) == Outcome(CHAT, REPORT, OutboxStatus.FAILED, error.message)


@pytest.mark.parametrize(
    "error", [TimedOut(), NetworkError("Bad Gateway"), TelegramError("Internal Server Error")]
)
def test_timeouts_network_errors_and_5xx_are_an_outage(error: TelegramError) -> None:
    assert _read(error) == Outage(str(error))
