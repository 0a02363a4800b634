"""The ending rules of the 14 languages matching knows, one module per language family.

- `base`: what the rules are made of (an `Inflection`: a stem and a numbered set of endings;
  a `Language`: its rules for names and for other words);
- `germanic` (English, German), `romance` (French), `slavic` (Russian, Ukrainian, Belarusian,
  Bulgarian, Polish), `turkic` (Azerbaijani, Turkish), `armenian`, `kartvelian` (Georgian),
  `semitic` (Arabic, and the prefixes Arabic script writes on a word), `iranian` (Persian);
- `registry`: the one list of languages by code, how a word inflects (`inflect`), which
  language a word in no alias group is read in (`guess_language`), and the tables the matcher
  reads endings with.
"""

from watchers.matching.endings.base import (
    AS_WRITTEN,
    ENDING_SETS,
    MIN_INFLECTED,
    Inflection,
    Language,
    Phrase,
)
from watchers.matching.endings.registry import (
    LANGUAGES,
    LONGEST_ENDING,
    SET_BITS,
    SET_MASK,
    SETS_WITH,
    guess_language,
    inflect,
)
from watchers.matching.endings.semitic import ARABIC_PREFIXES, ARABIC_SCRIPT

__all__ = [
    "ARABIC_PREFIXES",
    "ARABIC_SCRIPT",
    "AS_WRITTEN",
    "ENDING_SETS",
    "LANGUAGES",
    "LONGEST_ENDING",
    "MIN_INFLECTED",
    "SETS_WITH",
    "SET_BITS",
    "SET_MASK",
    "Inflection",
    "Language",
    "Phrase",
    "guess_language",
    "inflect",
]
