"""Plain records passed between the pipeline steps: source -> Report -> Match -> Alert."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Alert", "Match", "PollResult", "Report", "Subscription"]


@dataclass(frozen=True, slots=True)
class Report:
    """One news report as a source gave it, reduced to what matching and alerts need.

    `id` is the report's canonical identity (see `watchers.identity`): two fetches of the same
    story, with different tracking parameters or fragments, share it.
    """

    id: str
    url: str
    canonical_url: str
    title: str
    text: str = ""
    published: datetime | None = None
    outlet: str = ""
    domain: str = ""
    language: str | None = None
    country: str | None = None
    source: str = ""

    @property
    def publisher(self) -> str:
        """The name to show for where the report comes from."""
        return self.outlet or self.domain or self.source


@dataclass(frozen=True, slots=True)
class Subscription:
    """One keyword one chat watches with alerts on, and since when it has watched it."""

    chat_id: int
    keyword: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Match:
    """A report matched one watch of one chat; `form` is the text as it appears in the report."""

    chat_id: int
    keyword: str
    form: str


@dataclass(frozen=True, slots=True)
class Alert:
    """What a chat is told about one report: the report, why it matched, and a short summary."""

    chat_id: int
    report: Report
    keyword: str
    form: str
    summary: str


@dataclass(slots=True)
class PollResult:
    """The outcome of polling one source, for the bot to deliver and log."""

    source: str
    alerts: list[Alert] = field(default_factory=list)
    fetched: int = 0
    new: int = 0
    error: str | None = None
    skipped: bool = False
    disabled_now: bool = False
