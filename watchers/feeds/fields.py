"""The bounds and plain forms of a feed report's fields, whatever the document holds.

Titles and outlet names are one line of text, dates are aware UTC datetimes, languages are
primary subtags, and every field has a maximum length: later steps (matching, storage, alerts)
may rely on that for every report a feed yields.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from watchers.markup import cut, html_to_text, looks_like_html, without_controls

__all__ = [
    "CDATA",
    "CODE",
    "MAX_OUTLET_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_TITLE_LENGTH",
    "MAX_URL_LENGTH",
    "first_line",
    "language_code",
    "one_line",
    "parse_date",
]

MAX_TITLE_LENGTH = 1_000
"""Titles are cut here (alerts show less, see `bot.render`): a longer one is junk or hostile,
and every later step should work on bounded text."""
MAX_OUTLET_LENGTH = 200
MAX_TEXT_LENGTH = 100_000
"""An item's text before cleaning; alerts use its first paragraphs, storage 2,000 characters."""
MAX_URL_LENGTH = 2_048
"""Longer links and guids are ignored (the sitemaps protocol's limit for a URL; browsers and
servers refuse much longer ones)."""

CDATA = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|$)", re.DOTALL)
CODE = re.compile(r"[A-Za-z]{2,3}")
"""A language or country code."""


def one_line(value: str | None, limit: int = MAX_TITLE_LENGTH) -> str:
    """Return `value` as one line of plain text of at most `limit` characters.

    CDATA markers go. Text that really is HTML (`watchers.markup.looks_like_html`) loses its tags
    and has its entities decoded, tags first, so an escaped `&lt;` stays a literal `<`; any other
    text is kept as written, so `Ceasefire <violations> & shelling` keeps every word.
    """
    if not value:
        return ""
    value = CDATA.sub(r"\1", value)
    if looks_like_html(value):
        value = html_to_text(value)
    return cut(" ".join(without_controls(value).split()), limit)


def parse_date(value: str | None) -> datetime | None:
    """Parse an RFC 822 or ISO 8601 date into an aware UTC datetime, or None.

    RFC 822 parsing ignores the weekday and accepts lowercase months ("Wed, 19 jan 2026"), which
    real feeds get wrong. No zone means UTC. A date past year 9999 in UTC is the latest one."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    try:  # in UTC, "31 Dec 9999 23:00 -0500" is in year 10000 and "1 Jan 1 +0500" in year 0
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC) if parsed.year == datetime.max.year else None


def language_code(value: str | None) -> str | None:
    """Reduce a language tag to its primary subtag: "en-gb" -> "en"."""
    if not value:
        return None
    primary = re.split(r"[-_\s]", value.strip(), maxsplit=1)[0]
    return primary.lower() if CODE.fullmatch(primary) else None


def first_line(message: str) -> str:
    """A parser's complaint as one short line for `FeedResult.error`."""
    lines = message.strip().splitlines()
    return lines[0][:200] if lines else ""
