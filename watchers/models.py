"""Plain records passed between the pipeline steps (source -> Report -> Match -> Alert) and to
the store below them (SourceState, Overflow, PollOutcome): the layer every other one imports, so
the store never needs the pipeline's modules to read what a poll hands it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from watchers.identity import headline_key

if TYPE_CHECKING:
    from watchers.fetch import FetchResult

__all__ = [
    "FUTURE_TOLERANCE",
    "Alert",
    "Collected",
    "Edit",
    "Hit",
    "Match",
    "Matched",
    "Outlet",
    "Overflow",
    "Packed",
    "PollOutcome",
    "PollResult",
    "Report",
    "SourceState",
    "Subscription",
]

logger = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(days=1)
"""How far ahead of the clock a report may be dated (a time zone written wrong stays inside)."""


@dataclass(frozen=True, slots=True)
class Report:
    """One news report as a source gave it, reduced to what matching and alerts need.

    `id` is the report's canonical identity (see `watchers.identity`): two fetches of the same
    report, with different tracking parameters or fragments, share it. `regional`: it comes from
    an outlet of the region (`regional = true` in sources.toml), so names that are also common
    words elsewhere ("Ganja") count in it without more context. `headline_key`: the outlet and the
    headline (`watchers.identity.headline_key`), computed once when the report is made, or ""
    when the headline is too short to tell reports apart; `dataclasses.replace` keeps it, so
    code that changes the title or the domain passes `headline_key=None` to have it made again.
    `story`: the id of the story it is in (`watchers.stories`), once grouped: the id of the
    story's first report.
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
    regional: bool = False
    headline_key: str | None = None  # None only until __post_init__ has computed it
    story: str = ""

    def __post_init__(self) -> None:
        if self.headline_key is None:
            object.__setattr__(self, "headline_key", headline_key(self.title, self.domain) or "")

    @property
    def publisher(self) -> str:
        """The name to show for where the report comes from."""
        return self.outlet or self.domain or self.source

    def plausible_date(self, first_seen: datetime) -> datetime | None:
        """`published`, or `first_seen` when that lies more than `FUTURE_TOLERANCE` ahead: a
        wrong clock or a typo (a year 9999) must not be alerted as the report's date, nor keep
        it on top of /latest for good."""
        if self.published is not None and self.published - first_seen > FUTURE_TOLERANCE:
            return first_seen
        return self.published


@dataclass(slots=True)
class Collected:
    """What one poll of one source gave: reports, and an error when (part of) it failed."""

    reports: list[Report] = field(default_factory=list)
    error: str | None = None  # one line, without the source's name: whoever reports it adds that
    ttl_minutes: int | None = None
    retry_after: float | None = None
    response: FetchResult | None = None  # a feed's answer, whose validators are kept

    def settle(self, source: str, errors: list[str], answered: int) -> Collected:
        """For a source asked in several batches: down only when no batch answered. A failing
        batch is only logged, so it neither hides the others' reports nor switches the source
        off."""
        if errors and answered:
            logger.warning("%s: %d searches failed, first: %s", source, len(errors), errors[0])
        elif errors:
            self.error = errors[0]
        return self


@dataclass(frozen=True, slots=True)
class Subscription:
    """One keyword one chat watches with alerts on, and since when it has watched it."""

    chat_id: int
    keyword: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Match:
    """A report matched one watch of one chat; `form` is the text as it appears in the report,
    `context` the word that let an ambiguous form count ("Azerbaijan" for "Ganja"), if one did."""

    chat_id: int
    keyword: str
    form: str
    context: str = ""


class Hit(NamedTuple):
    """One distinct watch the matcher found in a report: the watches, as chats wrote them, that
    it stands for (several when spellings of one name compile to one watch), the form found,
    and the word that placed an ambiguous form in the region, if one did (see `Match`)."""

    watches: tuple[str, ...]
    form: str
    context: str = ""


class Packed(NamedTuple):
    """One report's hits as one compact record (`watchers.packed` makes and reads it). `ids`:
    the watch numbers found, ascending; `members`: the group of each (both unsigned 32-bit
    little-endian); `groups`: form and context of each group (a distinct watch found), in the
    matcher's order, joined by the unit separator."""

    ids: bytes
    members: bytes
    groups: str


@dataclass(frozen=True, slots=True)
class Matched:
    """What one matcher found in some reports, to store with them: `hits` by report id, one
    `Packed` record each (a report without hits is absent), the watches as the store's watch
    ids; `generation` names the matcher (a number that grows with each build) and `watches`
    lists the id of every distinct watch it held, so the store knows which watches its stored
    matches are complete for."""

    generation: int
    watches: Sequence[int]
    reports: Sequence[Report]
    hits: Mapping[str, Packed]


@dataclass(frozen=True, slots=True)
class Outlet:
    """Who else carried a story, as an alert names them: the outlet's name, the language and
    country of its report (where known), and a link to it."""

    name: str
    language: str | None
    country: str | None
    url: str


@dataclass(frozen=True, slots=True)
class Alert:
    """What a chat is told about one report: the report, why it matched, and a short summary.

    `others`: the outlets that also carried the report's story when it was read to be sent, in
    the order they did, the report's own outlet left out.

    With `more` above 0 it is instead the line that stands for that many reports of one poll past
    the chat's cap (`watchers.volume`): `report` is the newest of them, `origin` where they came
    from, and `form` and `summary` are empty.
    """

    chat_id: int
    report: Report
    keyword: str
    form: str
    summary: str
    context: str = ""  # see `Match.context`
    more: int = 0
    origin: str = ""
    others: tuple[Outlet, ...] = ()


@dataclass(frozen=True, slots=True)
class Edit:
    """A story's alert in a chat, to be written again because more outlets carried the story:
    the alert (its `others` read now) and the message it was sent as (None: not sent yet, so
    the alert itself shows the story as it is). `entry` is the report whose arrival queued the
    edit, which names the edit in the outbox."""

    alert: Alert
    message_id: int | None
    entry: str

    @property
    def chat_id(self) -> int:
        return self.alert.chat_id


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


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the poller remembers about one source URL between fetches."""

    etag: str | None = None
    last_modified: str | None = None
    errors: int = 0
    last_success: datetime | None = None
    last_error: str | None = None
    first_failure: datetime | None = None
    disabled: bool = False
    next_poll: datetime | None = None
    ttl_minutes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict, as the store keeps it (datetimes as ISO 8601 strings)."""
        data = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceState:
        """Rebuild a state from `to_dict` output; unknown keys are ignored, missing ones default."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for key in ("last_success", "first_failure", "next_poll"):
            if isinstance(values.get(key), str):
                moment = datetime.fromisoformat(values[key])
                values[key] = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Overflow:
    """One chat's matches of one poll past the cap (`watchers.volume`), to be told as one line.

    `reports` are newest first; `keyword` is the newest one's watch (its watch decides, when the
    line is sent, whether the chat still wants it and in which forum topic it goes); `origin` is
    the name the reports came from, as the chat knows it.
    """

    chat_id: int
    keyword: str
    origin: str
    reports: tuple[Report, ...]


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """Everything one poll changes in the store, written as one transaction: the reports the
    source showed (`seen`, to refresh when they were last seen), those new to the store and what
    the matcher found in them (`matched`), the source's state, and the alerts to queue for the
    new ones, with one line per chat for those past its cap (`overflow`)."""

    source: str
    state: SourceState
    at: datetime
    seen: Sequence[Report] = ()
    new: Sequence[Report] = ()
    alerts: Sequence[Alert] = ()
    overflow: Sequence[Overflow] = ()
    matched: Matched | None = None
