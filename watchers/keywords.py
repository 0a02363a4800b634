"""What a user may watch: splitting a /watch line into keywords and checking each one.

The rules live here, beside the matcher, so the bot and the dry-run scanner refuse the same input
with the same words.
"""

from __future__ import annotations

import unicodedata

from watchers.matching import parse_watch
from watchers.text import fold

__all__ = [
    "MAX_KEYWORD_LENGTH",
    "MAX_WATCHES",
    "KeywordError",
    "same_keyword",
    "split_keywords",
    "validate_keyword",
]

MAX_KEYWORD_LENGTH = 100
MAX_WATCHES = 50


class KeywordError(ValueError):
    """A keyword the user typed cannot be watched; the message is a sentence for the user."""


def split_keywords(line: str) -> list[str]:
    """Split a /watch argument line on commas (or line breaks) that are not inside double quotes.

    `Lachin, "Nagorno, Karabakh"` gives two keywords; blanks between commas are kept as empty
    strings so validation can tell the user about them instead of silently dropping them.
    """
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in line.replace("\r\n", "\n").replace("\n", ","):
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    if parts == [""]:
        return []
    return parts


def validate_keyword(raw: str) -> str:
    """Return the keyword tidied (outer spaces removed, inner runs collapsed) or raise KeywordError.

    Besides length and characters, the watch syntax is checked here (quotes, OR, -word), so a
    watch that is stored is always one the matcher can use.
    """
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in raw):
        raise KeywordError("Keywords cannot contain control characters.")
    keyword = " ".join(raw.split())
    if not keyword:
        raise KeywordError("A keyword cannot be empty.")
    if len(keyword) > MAX_KEYWORD_LENGTH:
        raise KeywordError(f"A keyword can be at most {MAX_KEYWORD_LENGTH} characters long.")
    try:
        parse_watch(keyword)
    except ValueError as error:
        raise KeywordError(str(error)) from None
    return keyword


def same_keyword(left: str, right: str) -> bool:
    """Two watches are the same when they differ only in case, accents or spacing."""
    return fold(" ".join(left.split())) == fold(" ".join(right.split()))
