"""A report's words as keys that meet across outlets, languages and scripts.

Reports of one event in different languages share little vocabulary, but they share names:
of places (the alias book gives every spelling of a place one name), of people ("Vardanyan",
"Варданян", "Վարդանյան"), of things borrowed across languages ("raket", "ракета"), and numbers.
So every word is written in Latin letters (`anyascii`, which knows Cyrillic, Armenian,
Georgian, Arabic and the rest), the spellings that transliteration systems disagree on are made
one ("sh", "ş" and "š" are one sound), and the first letters stand for the word, so that most of
its endings fall away ("ракетный", "ракетой" and "raket" meet as "raket").
"""

from __future__ import annotations

import re
from functools import lru_cache

from anyascii import anyascii

from watchers.matching.normalize import NORMALIZE

__all__ = ["STEM", "word_keys"]

STEM = 5
"""Letters kept of a word: enough to tell most words apart, few enough that endings drop."""

_SHORTEST = 4
"""Words shorter than this are mostly function words in every language here; numbers are kept."""

_LONGEST_NUMBER = 7
"""Longer runs of digits are ids and phone numbers, not casualties or dates."""

# Sounds that transliteration systems spell differently, each made one letter. Longest first.
_SOUNDS = (
    ("shch", "s"), ("dzh", "j"), ("sh", "s"), ("ch", "c"), ("zh", "j"), ("kh", "h"),
    ("ts", "c"), ("dz", "j"), ("gh", "g"), ("th", "t"), ("ph", "f"),
    ("x", "h"), ("q", "k"), ("w", "v"), ("y", "i"), ("'", ""),
)  # fmt: skip
_SOUND = re.compile("|".join(re.escape(spelling) for spelling, _ in _SOUNDS))
_ONE_SOUND = dict(_SOUNDS)
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    """One folded word as its key ("" for a word too short to tell anything)."""
    if word.isdigit():
        if len(word) > _LONGEST_NUMBER:
            return ""
        return "#" + (word.lstrip("0") or "0")
    if len(word) < _SHORTEST:
        return ""
    latin = anyascii(word).lower()
    latin = _SOUND.sub(lambda m: _ONE_SOUND[m.group()], latin)
    latin = _DOUBLED.sub(r"\1", "".join(c for c in latin if c.isalnum()))
    if len(latin) < _SHORTEST - 1:
        return ""
    return latin[:STEM]


def word_keys(text: str) -> list[str]:
    """The keys of `text`'s words, in order, each word once (a word's key may repeat)."""
    words = dict.fromkeys(NORMALIZE(text).split())
    return [k for k in map(_stem, words) if k]
