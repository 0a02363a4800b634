"""The records callers get from the store and give it: chats with their watches, stored reports,
and what became of an alert. Plain dataclasses and one enum, never documents or rows, so no caller
depends on how anything is kept on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from watchers.models import Report, Subscription

__all__ = ["Chat", "OutboxStatus", "Outcome", "StoredReport", "WatchEntry"]


@dataclass(slots=True)
class WatchEntry:
    """One keyword a chat watches, and since when: only reports first seen later are alerted.

    `thread_id` is the forum topic the watch was set in: its alerts go into that topic.
    """

    keyword: str
    since: datetime
    thread_id: int | None = None


@dataclass(slots=True)
class Chat:
    """A private chat, group or channel that talked to the bot, with its settings."""

    chat_id: int
    kind: str = "private"
    title: str = ""
    subscribed: bool = True
    paused: bool = False
    watches: list[WatchEntry] = field(default_factory=list)
    unreachable: str = ""
    """Why Telegram refused the last alert (blocked, kicked, chat gone): alerts stop until
    /start comes from the chat."""
    manages: int | None = None
    """A private chat's pointer (set by /channel) to the channel its commands apply to."""
    paused_since: datetime | None = None
    """When /pause came: /resume counts the reports first seen since then."""
    language: str = ""
    """The language (ISO 639-1) whose report of a story leads its alert: set by /language, or
    at /start to the private chat's user's Telegram language; "" for none."""

    @property
    def alerts_on(self) -> bool:
        return self.subscribed and not self.paused and not self.unreachable

    @property
    def keywords(self) -> list[str]:
        return [watch.keyword for watch in self.watches]

    def copy(self) -> Chat:
        """A copy a caller may change freely: the store's own copy changes only by a save."""
        return Chat(
            self.chat_id,
            self.kind,
            self.title,
            self.subscribed,
            self.paused,
            [WatchEntry(w.keyword, w.since, w.thread_id) for w in self.watches],
            self.unreachable,
            self.manages,
            self.paused_since,
            self.language,
        )

    def watch(self, keyword: str) -> WatchEntry | None:
        """The chat's watch of exactly `keyword`, if any."""
        return next((w for w in self.watches if w.keyword == keyword), None)

    @property
    def searched(self) -> list[str]:
        """The keywords search sources ask for on this chat's behalf: while it is paused too, so
        that what /pause promises (matches wait in /latest) holds for searched reports."""
        return self.keywords if self.subscribed and not self.unreachable else []

    def subscriptions(self) -> tuple[Subscription, ...]:
        """What this chat contributes to matching: its watches, when alerts are on."""
        if not self.alerts_on:
            return ()
        return tuple(Subscription(self.chat_id, w.keyword, w.since) for w in self.watches)


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report as stored, with the moment the bot first saw it."""

    report: Report
    first_seen: datetime

    @property
    def when(self) -> datetime:
        """The time to sort and show by: publication when the source gave one."""
        return self.report.published or self.first_seen


class OutboxStatus(StrEnum):
    """Where an outbox entry stands. A poll queues it `PENDING`; the sender ends it `SENT`,
    `DROPPED` (the chat no longer wants it) or `FAILED` (Telegram refused it for good); an
    unreachable chat's entries are `HELD` until it comes back. The values are the column's text."""

    PENDING = "pending"
    HELD = "held"
    SENT = "sent"
    DROPPED = "dropped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one send, as the sender hands it to `Outbox.finish`: `status` is one of
    SENT, DROPPED or FAILED, with the reason for the last two."""

    chat_id: int
    report_id: str
    status: OutboxStatus
    reason: str | None = None
    message_id: int | None = None  # the message an alert was sent as
