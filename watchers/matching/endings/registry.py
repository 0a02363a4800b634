"""The one place that says which languages have ending rules, and the tables made from them.

Each language family's module defines its languages' rules (`Language`); they are registered
here under their language codes (the keys of the alias file), in one list, the way feedparser
registers one module per date format. A new language is a rule table in its family's module
and one `_register` line below. Once every family is registered, the tables the matcher reads a
report with are made from every set of endings they use.
"""

from __future__ import annotations

import re

from watchers.matching.endings import (
    armenian,
    germanic,
    iranian,
    kartvelian,
    romance,
    semitic,
    slavic,
    turkic,
)
from watchers.matching.endings.base import AS_WRITTEN, ENDING_SETS, Inflection, Language

__all__ = [
    "LANGUAGES",
    "LONGEST_ENDING",
    "SETS_WITH",
    "SET_BITS",
    "SET_MASK",
    "guess_language",
    "inflect",
]

LANGUAGES: dict[str, Language] = {}
"""Every language with ending rules, by the code the alias file lists its spellings under."""


def _register(code: str, language: Language) -> None:
    if code in LANGUAGES:
        raise ValueError(f"language {code!r} is registered twice")
    LANGUAGES[code] = language


_register("en", germanic.ENGLISH)
_register("az", turkic.AZERBAIJANI)
_register("tr", turkic.TURKISH)
_register("ru", slavic.RUSSIAN)
_register("uk", slavic.UKRAINIAN)
_register("be", slavic.BELARUSIAN)
_register("bg", slavic.BULGARIAN)
_register("pl", slavic.POLISH)
_register("hy", armenian.ARMENIAN)
_register("de", germanic.GERMAN)
_register("fr", romance.FRENCH)
_register("ka", kartvelian.GEORGIAN)
_register("ar", semitic.ARABIC)
_register("fa", iranian.PERSIAN)

# For every ending, the mask of the sets that hold it; and how long an ending can be, which is
# how many letters a word of the report may lose to find its stem.
SETS_WITH: dict[str, int] = {
    ending: sum(1 << number for number, endings in enumerate(ENDING_SETS) if ending in endings)
    for ending in frozenset[str]().union(*ENDING_SETS)
}
LONGEST_ENDING = max(map(len, SETS_WITH))
SET_BITS = len(ENDING_SETS).bit_length()  # a word is numbered (stem number << SET_BITS) | set
SET_MASK = (1 << SET_BITS) - 1


def inflect(word: str, language: str, listed: bool, written: str = "") -> Inflection:
    """`word` (as matching reads it, `written` as the alias file spells it) with the endings of
    `language`: a name's if `listed`."""
    rules = LANGUAGES[language]
    if len(word) < rules.shortest:
        return Inflection(word, AS_WRITTEN)
    if listed or rules.word is None:
        return rules.name(word, written)
    return rules.word(word, written)


# The Unicode blocks of the scripts whose words take their own endings.
_SCRIPTS = re.compile(
    "(?P<ru>[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f\U0001e030-\U0001e08f])"
    "|(?P<hy>[\u0530-\u058f\ufb13-\ufb17])"
    "|(?P<ka>[\u10a0-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f])"
    "|(?P<ar>[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff])"
)
_UKRAINIAN_LETTERS = frozenset("ЄєІіЇїҐґ")
_PERSIAN_LETTERS = frozenset("پچژگکی")
_AZERBAIJANI_LETTERS = frozenset("əƏıİğĞşŞ")


def guess_language(text: str) -> str:
    """The inflection rules for a term that is in no alias group, judged by its letters: the
    first character of a script with rules of its own decides (Cyrillic is Ukrainian when it
    has Ukrainian letters, Arabic script Persian when it has Persian ones), else Azerbaijani
    letters, else English."""
    script = _SCRIPTS.search(text)
    if script is None:
        return "az" if _AZERBAIJANI_LETTERS.intersection(text) else "en"
    language = script.lastgroup or "en"
    if language == "ru" and _UKRAINIAN_LETTERS.intersection(text):
        return "uk"
    if language == "ar" and _PERSIAN_LETTERS.intersection(text):
        return "fa"
    return language
