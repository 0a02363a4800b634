"""Values as they are kept on disk, and back: moments as fixed-width ISO-8601 UTC text (so text
order is time order), a chat as its JSON document in a shard, a report as its `reports` row.

Reading a chat checks every field's type, so a shard of the wrong shape is refused with the name
of the first wrong field rather than breaking a handler later.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.store.records import Chat, StoredReport, WatchEntry
from watchers.models import Report

__all__ = [
    "STORED_TEXT_CHARS",
    "chat_from_doc",
    "chat_to_doc",
    "iso",
    "parse_iso",
    "report_row",
    "stored_report",
]

STORED_TEXT_CHARS = 2000
"""Stored report text serves /latest matching only (alerts are summarised when first seen)."""


def iso(moment: datetime) -> str:
    """A moment as fixed-width ISO-8601 UTC text (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(value: str | None) -> datetime | None:
    """The reverse of `iso`; also reads the older stores' ISO text (naive means UTC)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Chats as JSON documents -------------------------------------------------------------------


def _watch_to_doc(watch: WatchEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {"keyword": watch.keyword, "since": iso(watch.since)}
    if watch.thread_id is not None:
        doc["thread_id"] = watch.thread_id
    return doc


def chat_to_doc(chat: Chat) -> dict[str, Any]:
    """A chat's document in its shard; fields at their default are left out."""
    doc: dict[str, Any] = {
        "chat_id": chat.chat_id,
        "kind": chat.kind,
        "title": chat.title,
        "subscribed": chat.subscribed,
        "paused": chat.paused,
        "watches": [_watch_to_doc(w) for w in chat.watches],
    }
    if chat.unreachable:
        doc["unreachable"] = chat.unreachable
    if chat.manages is not None:
        doc["manages"] = chat.manages
    if chat.paused_since is not None:
        doc["paused_since"] = iso(chat.paused_since)
    if chat.language:
        doc["language"] = chat.language
    return doc


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{what} is {type(value).__name__}")
    return value


def chat_from_doc(doc: Any) -> Chat:
    """A chat from its stored document; ValueError names the first field of the wrong shape."""
    _expect(doc, dict, "a chat")
    watches = _expect(doc.get("watches", []), list, "watches")
    entries = []
    for watch in watches:
        _expect(watch, dict, "a watch")
        since = _expect(watch.get("since"), (str, type(None)), "since")
        entries.append(
            WatchEntry(
                # Loaded keywords (and, below, kinds) share one string each: 50,000 watches
                # hold about 30,000 distinct keywords.
                sys.intern(_expect(watch.get("keyword"), str, "keyword")),
                parse_iso(since) or datetime.now(UTC),
                _expect(watch.get("thread_id"), (int, type(None)), "thread_id"),
            )
        )
    return Chat(
        chat_id=_expect(doc.get("chat_id"), int, "chat_id"),
        kind=sys.intern(_expect(doc.get("kind", "private"), str, "kind")),
        title=_expect(doc.get("title", ""), str, "title"),
        subscribed=_expect(doc.get("subscribed", True), bool, "subscribed"),
        paused=_expect(doc.get("paused", False), bool, "paused"),
        watches=entries,
        unreachable=_expect(doc.get("unreachable", ""), str, "unreachable"),
        manages=_expect(doc.get("manages"), (int, type(None)), "manages"),
        language=_expect(doc.get("language", ""), str, "language"),
        paused_since=parse_iso(_expect(doc.get("paused_since"), (str, type(None)), "paused_since")),
    )


# Reports as rows ---------------------------------------------------------------------------


def report_row(report: Report, first_seen: datetime, last_seen: datetime) -> tuple[Any, ...]:
    """The reports table's columns for one report, in `schema.REPORT_COLUMNS` order."""
    return (
        report.id,
        report.headline_key or None,
        report.url,
        report.canonical_url,
        report.title,
        report.text[:STORED_TEXT_CHARS],
        iso(report.published) if report.published else None,
        report.outlet,
        report.domain,
        report.language,
        report.country,
        report.source,
        iso(first_seen),
        iso(last_seen),
        iso(report.published or first_seen),
        int(report.regional),
        report.story or None,
    )


def stored_report(row: Sequence[Any]) -> StoredReport:
    """The reverse of `report_row`: `schema.REPORT_COLUMNS` as read back."""
    (id_, headline, url, canonical, title, body, published, outlet, domain) = row[:9]
    language, country, source, first_seen, _, _, regional, story = row[9:17]
    report = Report(
        id=id_,
        url=url,
        canonical_url=canonical,
        title=title,
        text=body,
        published=parse_iso(published),
        outlet=outlet,
        domain=domain,
        language=language,
        country=country,
        source=source,
        regional=bool(regional),
        headline_key=headline or "",
        story=story or "",
    )
    return StoredReport(report, parse_iso(first_seen) or datetime.now(UTC))
