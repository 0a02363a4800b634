"""The fallback parser: feedparser, slower but thorough, and the one that says what is wrong.

It is asked when fastfeedparser raises, finds no entries or garbles titles
(`watchers.feeds.parse`). Its complaint about a malformed document becomes the feed's error
when nothing usable comes out. It is imported when first used, in the CPU worker
(`watchers.cpu`), so the bot's process need not hold it.
"""

from __future__ import annotations

import re
import time
from calendar import timegm
from datetime import UTC, datetime

from watchers.feeds.entries import Entry, Parsed
from watchers.feeds.fields import first_line, language_code, parse_date

__all__ = ["from_feedparser"]

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: "²" is a digit to str.isdigit(), not to int()


def _struct_to_datetime(value: time.struct_time | None) -> datetime | None:
    return datetime.fromtimestamp(timegm(value), tz=UTC) if value else None


def from_feedparser(body: bytes) -> tuple[Parsed, str | None]:
    """Parse with feedparser; the second value is its complaint about a malformed document.

    Its sanitizer is off: it drops tag-shaped words from plain text (`<violations>`), and the
    text is made plain later anyway, telling HTML from plain text first (`watchers.markup`).
    """
    import feedparser  # here, not at the top: see the module's docstring

    parsed = feedparser.parse(body, sanitize_html=False)
    feed = parsed.get("feed", {})
    entries = []
    for entry in parsed.get("entries", []):
        content = entry.get("content") or []
        text = (content[0].get("value") if content else None) or entry.get("summary")
        published = _struct_to_datetime(
            entry.get("published_parsed") or entry.get("updated_parsed")
        ) or parse_date(entry.get("published") or entry.get("updated"))
        source = entry.get("source") or {}
        entries.append(
            Entry(
                link=(entry.get("link") or "").strip(),
                guid=(entry.get("id") or "").strip(),
                title=entry.get("title") or "",
                text=(text or "").strip(),
                published=published,
                source_text=source.get("title") or "",
                source_url=source.get("href") or "",
            )
        )
    ttl = feed.get("ttl")
    complaint = None
    problem = parsed.get("bozo_exception")
    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    if parsed.get("bozo") and not isinstance(problem, harmless):
        complaint = first_line(str(problem or "malformed document"))
    elif not parsed.get("version"):
        complaint = "not an RSS, RDF or Atom document"
    return (
        Parsed(
            title=feed.get("title") or "",
            link=feed.get("link") or "",
            language=language_code(feed.get("language")),
            ttl=int(ttl) if isinstance(ttl, str) and _DIGITS.fullmatch(ttl.strip()) else None,
            entries=entries,
        ),
        complaint,
    )
