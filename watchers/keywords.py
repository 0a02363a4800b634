"""What a user may watch: splitting a /watch line into keywords and checking each one.

The rules live here, beside the matcher, so the bot and the dry-run scanner refuse the same input
with the same words.
"""

from __future__ import annotations

from watchers.markup import DIRECTION_CONTROLS, INVISIBLE_MARKS, without_controls
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


_DROPPED = str.maketrans(dict.fromkeys(map(ord, INVISIBLE_MARKS)))


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
    watch that is stored is always one the matcher can use. Characters:
    - refused: control characters (C0/C1, lone surrogates) and the bidi embeddings, overrides and
      isolates (U+202A-U+202E, U+2066-U+2069), which display text in another order than it is
      written (a keyword echoed in a reply could read as something else, and an unclosed one
      reorders the rest of the line);
    - dropped: direction marks (LRM, RLM, ALM) and invisible breaks (soft hyphen, zero-width
      space, word joiner, BOM), which text pasted from a web page carries: they change no letter,
      and kept they would make "Laçın" and "Laçın" with a mark two different watches;
    - kept: every other format character, as part of the text: ZWJ and ZWNJ (emoji sequences,
      Persian and Indic spelling), variation selectors, emoji tag characters.
    """
    if any(char in DIRECTION_CONTROLS for char in raw):
        raise KeywordError(
            "Keywords cannot contain text-direction overrides (U+202A–U+202E, U+2066–U+2069)."
        )
    raw = raw.translate(_DROPPED)
    if without_controls(raw) != raw:
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
