"""What Telegram's refusal of an alert means, so the sender acts on a type and not on an error.

`read_answer` maps the exception a send raised to one typed answer: the `Outcome` the store
records when the refusal is final, or what to do first (wait, move the chat, set it aside, send
again otherwise, pause for an outage). It decides only; the sender acts.

- 429 (`RetryAfter`): `Hold`, that chat's alerts wait while every other chat's go on.
- `migrate_to_chat_id` (`ChatMigrated`): `Moved`, the chat's record and alerts move to the id.
- 403 (`Forbidden`) and "chat not found": `Unreachable`, the chat's alerts are set aside.
- "can't parse entities": `Resend.PLAIN`, the alert again as plain text (once).
- "thread not found" (a deleted forum topic): `Resend.TO_CHAT`, the alert to the chat itself.
- For an edit, "message is not modified": SENT (it already says that); "message to edit not
  found" or "message can't be edited" (deleted, or too old): DROPPED.
- Any other 400: an `Outcome` FAILED with Telegram's reason, not retried.
- Timeouts, network errors, 5xx and any other `TelegramError`: `Outage`, all sending pauses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import TypeAlias

from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.store import OutboxStatus, Outcome

__all__ = [
    "Answer",
    "Hold",
    "Moved",
    "Outage",
    "Resend",
    "Unreachable",
    "read_answer",
    "retry_seconds",
]


@dataclass(frozen=True, slots=True)
class Hold:
    """A 429: the chat may get nothing for `seconds`."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Moved:
    """The group became the supergroup `new_chat_id`."""

    new_chat_id: int


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The bot was blocked or removed, or the chat is gone, for `reason`."""

    reason: str


@dataclass(frozen=True, slots=True)
class Outage:
    """Telegram did not answer properly (`reason`): a pause for every chat, then a new try."""

    reason: str


class Resend(Enum):
    """The same alert, sent again at once in another form."""

    PLAIN = "plain"
    """Telegram refused its HTML: as plain text."""
    TO_CHAT = "to chat"
    """Its forum topic was deleted: to the chat itself."""


Answer: TypeAlias = Outcome | Hold | Moved | Unreachable | Outage | Resend
"""What a refused send comes to: an `Outcome` is final, the others leave the alert pending."""


def read_answer(
    error: TelegramError, chat_id: int, report_id: str, *, plain: bool, in_thread: bool
) -> Answer:
    """What Telegram's `error` for this alert to `chat_id` means; `plain` says it was already
    sent as plain text, `in_thread` that it went to a forum topic."""
    if isinstance(error, RetryAfter):
        return Hold(retry_seconds(error))
    if isinstance(error, ChatMigrated):
        return Moved(int(error.new_chat_id))
    if isinstance(error, Forbidden):
        return Unreachable(error.message)
    if isinstance(error, BadRequest):
        reason = error.message
        lowered = reason.lower()
        if "chat not found" in lowered:
            return Unreachable(reason)
        if "can't parse entities" in lowered and not plain:
            return Resend.PLAIN
        if "thread not found" in lowered and in_thread:
            return Resend.TO_CHAT
        if "message is not modified" in lowered:
            return Outcome(chat_id, report_id, OutboxStatus.SENT)
        if "message to edit not found" in lowered or "message can't be edited" in lowered:
            return Outcome(chat_id, report_id, OutboxStatus.DROPPED, reason)
        return Outcome(chat_id, report_id, OutboxStatus.FAILED, reason)
    return Outage(str(error))


def retry_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, whether PTB gives it as seconds or as a timedelta."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
