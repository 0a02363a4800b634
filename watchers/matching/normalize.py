"""Text as matching reads it: one folding for reports, watches, alias spellings and endings.

Text is compared after `watchers.text.fold` and with every run of other characters (spaces,
hyphens, punctuation) read as one space, so "Nagorno-Karabakh" and "Nagorno Karabakh" meet.
Apostrophes are kept, since the English possessive ending is "'s". Every layer above reads text
through this module, so a spelling and a report can never be folded two ways.
"""

from __future__ import annotations

from functools import lru_cache

from watchers.text import CharMap, fold_char

__all__ = ["APOSTROPHES", "CACHED", "NORMALIZE", "QUOTE_MARKS", "key", "normalize"]

APOSTROPHES = frozenset("'’‘ʼ՚")
# Quotation marks around a name make it the name of something else: a club (“Qarabağ”), a wine
# («Агдам»), a nom de guerre. (Not "'" and "’": they close a Turkish suffix, "Laçin'in".)
QUOTE_MARKS = frozenset('"“”„‟«»‹›「」')


# Letters that tell one name from another are kept apart from the plain letter (only their case
# is folded): Azerbaijani/Turkish "Şuşa" is not "Susa" (the Italian and the Iranian town),
# "Laçın" not "Laçin" (a district of Çorum in Turkey); Croatian "suša" (drought) is not Şuşa.
# (Folding for keywords, `fold`, still drops these accents.) A spelling typed without them
# ("Qarabag") is listed in the alias file on its own.
_KEPT = {
    "ş": "ş", "Ş": "ş", "ç": "ç", "Ç": "ç", "ğ": "ğ", "Ğ": "ğ", "ı": "ı",
    "š": "š", "Š": "š", "č": "č", "Č": "č", "ž": "ž", "Ž": "ž",
}  # fmt: skip


def _match_char(char: str) -> str:
    """One character as matching reads it: folded (but the letters in `_KEPT`), any apostrophe
    as ', any other character that is not a letter or digit as a space."""
    kept = _KEPT.get(char)
    if kept is not None:
        return kept
    return "".join("'" if c in APOSTROPHES else c if c.isalnum() else " " for c in fold_char(char))


NORMALIZE = CharMap(_match_char)


def normalize(text: str) -> tuple[str, list[int] | None]:
    """`text` as matching reads it (runs of spaces are left: matching reads it word by word), and
    for each of its characters the index in `text` it came from (None: the same index), so a
    hit can be quoted exactly as the report wrote it."""
    return NORMALIZE.apply(text)


CACHED = 1 << 12
"""Entries in each cache of term spellings: enough for the terms many chats share. More only
held every one-off word of 50,000 watches (12 MB more in the CPU worker) for no faster build."""


@lru_cache(maxsize=CACHED)
def key(text: str) -> str:
    """The form a term or alias is looked up and matched by: words separated by one space."""
    return " ".join(NORMALIZE(text).split()).strip(" '")
