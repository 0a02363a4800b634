"""What every language family's module builds its ending rules from.

A word matches when it is followed by a word boundary, or by one of the endings its language
allows and then a boundary. Endings are written in their natural spelling and read as the
matcher reads text (`watchers.matching.normalize`), so "ə"/"e", "ı"/"i", "ü"/"u" and "й"/"и"
variants collapse as they do in the text.

Each distinct list of endings is registered once, at import, and named by its number: a word in
the index is then a stem plus a set number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from watchers.matching.normalize import NORMALIZE

__all__ = [
    "AS_WRITTEN",
    "ENDING_SETS",
    "MIN_INFLECTED",
    "Inflect",
    "Inflection",
    "Language",
    "Phrase",
    "Rules",
    "by_rules",
    "ending_set",
]

MIN_INFLECTED = 4  # shorter words match only as written: "Baki" may take endings, "UN" may not

ENDING_SETS: list[frozenset[str]] = []
"""Every distinct set of endings (as matching reads them), by number."""


class Inflection(NamedTuple):
    """A word as `stem` plus one of the endings of set `endings` ("" lets the stem stand alone).

    (A named tuple, not a dataclass: building a matcher hashes millions of them.)
    """

    stem: str
    endings: int


Phrase = tuple[Inflection, ...]
"""One spelling as the words it is indexed by."""

Rules = tuple[tuple[str, tuple[str, ...]], ...]
Inflect = Callable[[str, str], Inflection]
"""A folded word, and the last word of the spelling as written (for vowel harmony), as a stem
with its endings."""


@dataclass(frozen=True, slots=True)
class Language:
    """How the words of one language take endings.

    `name`: a spelling of a listed name (the alias file); `word`: a word a user made up, in no
    alias group, when it takes more (a common noun takes the plural); `agreeing`: every word of a
    phrase inflects, since an adjective declines with its noun (else only the last word does);
    `shortest`: the shortest word that takes endings; `dotless_i`: the language writes ı, whose
    capital is I, so a text in capitals writes "Laçın" as "LAÇIN", which reads as "laçin".
    """

    name: Inflect
    word: Inflect | None = None
    agreeing: bool = False
    shortest: int = MIN_INFLECTED
    dotless_i: bool = False


def ending_set(endings: Iterable[str]) -> int:
    """The number of the set of these endings (as matching reads them), registering it on first
    sight."""
    folded = frozenset(NORMALIZE(ending) for ending in endings)
    if folded not in ENDING_SETS:
        ENDING_SETS.append(folded)
    return ENDING_SETS.index(folded)


AS_WRITTEN = ending_set(("",))


def by_rules(rules: Rules) -> Inflect:
    """Turn an ordered (last letters, endings) table, ending in a catch-all "" row, into an
    inflection function on folded words: the last letters are cut and any of the row's endings
    may stand in their place."""
    table = [(NORMALIZE(final), ending_set(endings)) for final, endings in rules]

    def inflect(word: str, written: str = "") -> Inflection:
        final, endings = next((final, e) for final, e in table if word.endswith(final))
        return Inflection(word[: len(word) - len(final)], endings)

    return inflect
