"""Keywords that only look like what they say: styled letters and letters of another script.

A keyword is echoed in /list as typed, so `𝐋𝐚𝐜𝐡𝐢𝐧` (mathematical bold) and `Lаchin` (with a
Cyrillic а) look like `Lachin` there, yet the second never matches a report that writes Lachin.
Unicode's data decides both cases:
- compatibility forms whose only difference is style (font, width, circled, super- and
  subscript, squared, Arabic presentation forms) are folded to the plain letters, NFKC-style.
  Compatibility ligatures such as Armenian "և" are real spelling, and are kept;
- a word that mixes scripts is checked against the confusables of UTS #39 (the data ships with
  the `confusable-homoglyphs` package): a letter of the word's minority script that looks like
  exactly one letter of its main script is folded to it; a mix that cannot be folded that way is
  refused. Mixes that are normal writing (Han with kana or Hangul) and letters that look like
  nothing of the other script are left alone.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

import regex

__all__ = ["Lookalike", "plain_letters", "single_script"]

_STYLE_TAGS = frozenset(
    (
        "<font>", "<wide>", "<narrow>", "<circle>", "<super>", "<sub>", "<small>", "<square>",
        "<vertical>", "<initial>", "<medial>", "<final>", "<isolated>",
    )
)  # fmt: skip
"""Decomposition tags (UnicodeData.txt) of forms that differ from their letters by style only."""

_NOT_A_SCRIPT = frozenset({"COMMON", "INHERITED"})
_WRITTEN_TOGETHER = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),  # Japanese
    frozenset({"HAN", "HANGUL"}),  # Korean
    frozenset({"HAN", "BOPOMOFO"}),  # Chinese with zhuyin
)
"""Scripts one word may mix as normal writing: UTS #39's augmented script sets."""

_WORD = regex.compile(r"[\p{L}\p{M}]+")


class Lookalike(ValueError):
    """A word mixes letters of several scripts that look alike and cannot be folded to one."""


def _styled(char: str) -> bool:
    return unicodedata.decomposition(char).split(" ", 1)[0] in _STYLE_TAGS


def plain_letters(text: str) -> str:
    """`text` with its style-only compatibility forms as plain letters (𝐋𝐚𝐜𝐡𝐢𝐧 -> Lachin,
    Ｌａｃｈｉｎ -> Lachin); every other character as it was."""
    if text.isascii():
        return text
    return "".join(unicodedata.normalize("NFKC", c) if _styled(c) else c for c in text)


@lru_cache(maxsize=1024)
def _script(char: str) -> str:
    """The Unicode script of `char`. (The script data is loaded on the first non-ASCII keyword:
    everything that matches imports this package, the CPU worker too, which never needs it.)"""
    from confusable_homoglyphs import categories

    return str(categories.alias(char))


@lru_cache(maxsize=1024)
def _twin(char: str, script: str) -> str | None:
    """The one letter of `script` that `char` is confusable with (sharing its UTS #39 skeleton),
    the plain (ASCII) one if there are several, "" if still several, None if none.

    The confusables table costs some 7 MB in memory, so it is loaded only once a word mixes
    scripts, which most bots never see."""
    from confusable_homoglyphs import confusables

    related = [entry["c"] for entry in confusables.confusables_data.get(char, ())]
    for prototype in list(related):
        related += [entry["c"] for entry in confusables.confusables_data.get(prototype, ())]
    twins = {
        c
        for c in related
        if len(c) == 1
        and c != char
        and _script(c) == script
        and unicodedata.normalize("NFKC", c) == c
        and c.isalpha()
    }
    if not twins:
        return None
    if len(twins) > 1:  # "a" looks like "ɑ" too: plain letters first, else no one choice
        twins = {c for c in twins if c.isascii()}
    return twins.pop() if len(twins) == 1 else ""


def _fold_word(word: str, notes: list[str]) -> str:
    """The word in its main script (with a note on what was folded), or raise Lookalike;
    unchanged when it mixes no look-alikes."""
    scripts = Counter(s for s in map(_script, word) if s not in _NOT_A_SCRIPT)
    if len(scripts) < 2 or any(set(scripts) <= together for together in _WRITTEN_TOGETHER):
        return word
    (main, count), (_, runner_up) = scripts.most_common(2)
    twins = {c: _twin(c, main) for c in word if _script(c) not in _NOT_A_SCRIPT | {main}}
    if all(twin is None for twin in twins.values()):
        return word  # letters that look like nothing of the main script: no disguise
    if count == runner_up or not all(twins.values()):
        names = " and ".join(sorted(s.title() for s in scripts))
        raise Lookalike(f"“{word}” mixes {names} letters that look alike; type it in one alphabet.")
    folded = "".join(twins.get(c) or c for c in word)
    others = " and ".join(sorted({_script(c).title() for c in twins}))
    notes.append(
        f"“{word}” has {others} letters among {main.title()} ones that look the same"
        f" ({', '.join(twins)}): read as “{folded}”."
    )
    return folded


def single_script(text: str) -> tuple[str, list[str]]:
    """`text` with each word's look-alike letters of another script folded into the word's
    main script ("Lаchin" with a Cyrillic а -> "Lachin"), and a sentence for each word folded;
    raise Lookalike for a word where that cannot be done unambiguously."""
    notes: list[str] = []
    if text.isascii():
        return text, notes
    return _WORD.sub(lambda word: _fold_word(word[0], notes), text), notes
