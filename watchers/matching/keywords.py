"""What a user may watch: splitting a /watch line into keywords and checking each one.

The rules live here, beside the matcher, so the bot and the dry-run scanner refuse the same input
with the same words.
"""

from __future__ import annotations

from typing import NamedTuple

from watchers.markup import DIRECTION_CONTROLS, INVISIBLE_MARKS, without_controls
from watchers.matching.expand import parse_watch
from watchers.matching.lookalikes import Lookalike, plain_letters, single_script
from watchers.text import fold

__all__ = [
    "MAX_KEYWORD_LENGTH",
    "MAX_WATCHES",
    "KeywordError",
    "Tidied",
    "same_keyword",
    "split_keywords",
    "tidy_keyword",
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


class Tidied(NamedTuple):
    """A keyword as it is stored, and a sentence for each way it differs from what was typed
    beyond spacing and invisible characters."""

    keyword: str
    notes: list[str]


def validate_keyword(raw: str) -> str:
    """`tidy_keyword` without its notes."""
    return tidy_keyword(raw).keyword


def tidy_keyword(raw: str) -> Tidied:
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
    - folded, with a note: styled letters (𝐋𝐚𝐜𝐡𝐢𝐧) and look-alike letters of another script
      inside a word (a Cyrillic а in "Lаchin"), which look like the plain word in /list but are
      not it (`watchers.matching.lookalikes`); a mix that cannot be folded is refused;
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
    typed = " ".join(raw.split())
    if not typed:
        raise KeywordError("A keyword cannot be empty.")
    plain = " ".join(plain_letters(typed).split())
    notes = (
        [f"“{typed}” is written in styled letters: read as “{plain}”."] if plain != typed else []
    )
    try:
        keyword, folded = single_script(plain)
    except Lookalike as error:
        raise KeywordError(str(error)) from None
    if len(keyword) > MAX_KEYWORD_LENGTH:
        raise KeywordError(f"A keyword can be at most {MAX_KEYWORD_LENGTH} characters long.")
    try:
        parse_watch(keyword)
    except ValueError as error:
        raise KeywordError(str(error)) from None
    return Tidied(keyword, notes + folded)


def same_keyword(left: str, right: str) -> bool:
    """Two watches are the same when they differ only in case, accents or spacing."""
    return fold(" ".join(left.split())) == fold(" ".join(right.split()))
