"""The watch syntax: what a user typed after /watch, read as clauses of terms.

A watch is words (all must appear), "exact phrases", alternatives joined by ` OR `, `-word` /
`-"phrase"` exclusions, and `=word` to watch one spelling instead of its whole alias group.
What the terms stand for (their spellings, their cost) is `watchers.matching.expand`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from watchers.matching.normalize import key

__all__ = ["Term", "Watch", "read_syntax"]

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_TOKEN = re.compile(r'(?P<neg>-)?(?P<exact>=)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))')


@dataclass(frozen=True, slots=True)
class Term:
    """One thing to look for: a word or phrase; `exact` (=) means this spelling, not its group."""

    text: str
    exact: bool = False


@dataclass(frozen=True, slots=True)
class Watch:
    """A parsed watch: every clause must match (a clause matches when any alternative does),
    and no excluded term may appear."""

    clauses: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()


_PARSED = 1 << 12
"""Watches `read_syntax` keeps read. Bounded, since a bot may hold 500,000 distinct watches
(10,000 chats with 50 each) and one read takes 0.4 KB (a name) to 2.5 KB (50 one-letter words),
cache entry included: full, the cache holds 1.5-10 MB. This many holds every watch of a small
bot and the watches many chats share, so a matcher build, a search poll and /watch's comparisons
read those once, not each time. (A bot with more distinct watches reads the others again at each
matcher build, in the CPU worker: some 0.14 s of a 0.7 s build for 30,000 distinct watches.)"""


@lru_cache(maxsize=_PARSED)
def read_syntax(raw: str) -> Watch:
    """The watch `raw` as clauses and exclusions; raise ValueError with a sentence a user can
    act on. (The same `Watch` for the same text: it is immutable.)"""
    text = raw.translate(_QUOTES)
    if text.count('"') % 2:
        raise ValueError('A quoted phrase is missing its closing quote (").')
    clauses: list[tuple[Term, ...]] = []
    excluded: list[Term] = []
    previous = ""  # "", "term", "excluded" or "OR"
    for token in _TOKEN.finditer(text):
        word, phrase = token["word"], token["phrase"]
        if word == "OR" and not token["neg"] and not token["exact"]:
            if previous != "term":
                raise ValueError("Put a word to look for on both sides of OR.")
            previous = "OR"
            continue
        term = Term(phrase if phrase is not None else word, exact=bool(token["exact"]))
        _check_term(term, quoted=phrase is not None)
        if token["neg"]:
            if previous == "OR":
                raise ValueError("An exclusion (-word) cannot be one side of OR.")
            excluded.append(term)
            previous = "excluded"
        elif previous == "OR":
            clauses[-1] += (term,)
            previous = "term"
        else:
            clauses.append((term,))
            previous = "term"
    if previous == "OR":
        raise ValueError("Put a word to look for on both sides of OR.")
    if not clauses:
        if excluded:
            raise ValueError("A watch needs a word to look for, not only exclusions (-word).")
        raise ValueError("A watch cannot be empty.")
    return Watch(tuple(clauses), tuple(excluded))


def _check_term(term: Term, quoted: bool) -> None:
    if key(term.text):
        return
    if quoted and not term.text.strip():
        raise ValueError('An empty phrase "" has nothing to look for.')
    if not quoted and not term.text.strip("-="):
        raise ValueError(
            'Write "-" or "=" right before a word, without a space: -football, =Lachin.'
        )
    raise ValueError(f"“{term.text}” has no letters or digits to look for.")
