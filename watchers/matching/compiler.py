"""Compiling every chat's watches into the tables one matcher reads a report with.

Every word of every spelling is indexed on its own, as a stem and the endings its language
allows, in one dictionary shared by all chats; a phrase matches where its words are consecutive
words of the report. So compiling a watch costs one entry per word it names (never one per
combination of inflected forms). Watches that several chats hold, and spellings of the same
name, are compiled once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from watchers.matching.aliases import AliasBook
from watchers.matching.endings import SET_BITS, SET_MASK, Inflection, Phrase
from watchers.matching.expand import (
    Marked,
    context_phrases,
    marked_phrases,
    read_watch,
    spellings,
    terms,
)

__all__ = [
    "CompiledWatch",
    "Index",
    "Senses",
    "Tables",
    "TermKey",
    "compile_watches",
    "numbers",
    "word_count",
]

logger = logging.getLogger(__name__)


class Senses(NamedTuple):
    """How a matcher weighs an alias group's spellings that may mean something else: the
    phrases of those spellings, of those that need context, and of the other meaning's words."""

    marked: frozenset[int]
    needs_context: frozenset[int]
    other: frozenset[int]


# A term is found when any of its spellings (phrases) is. A term of one spelling is named by that
# phrase's number; a term of several (an alias group) by the frozenset of their numbers.
TermKey = int | frozenset[int]


@dataclass(frozen=True, slots=True)
class CompiledWatch:
    """A watch as terms: all of `required`, one of each of `alternatives`, none of `excluded`.

    (The clauses with one term are kept apart from those with several, as one flat tuple: most
    clauses are single words, and this keeps a watch of many words small.)
    """

    required: tuple[TermKey, ...]
    alternatives: tuple[tuple[TermKey, ...], ...]
    excluded: tuple[TermKey, ...]

    def least(self) -> int:
        """The fewest distinct terms that can satisfy the watch (a clause of alternatives may be
        met by a required term, or by the same term as another clause)."""
        required = set(self.required)
        return len(required) + any(required.isdisjoint(c) for c in self.alternatives)

    def wanted(self) -> Iterator[TermKey]:
        """Every term the watch looks for (not the excluded ones), in order."""
        yield from self.required
        for clause in self.alternatives:
            yield from clause


# Watch numbers by term: one int, or a list of several (most terms are in one watch).
Index = dict[TermKey, int | list[int]]


def _add(index: Index, term: TermKey, number: int) -> None:
    held = index.get(term)
    if held is None:
        index[term] = number
    elif isinstance(held, int):
        index[term] = [held, number]
    else:
        held.append(number)


def numbers(held: int | list[int] | None) -> Iterable[int]:
    """The watch numbers an `Index` holds for a term."""
    if held is None:
        return ()
    return (held,) if isinstance(held, int) else held


Stems = dict[str, int | tuple[int, ...]]
"""stem -> its word, or its words when it takes several ending sets (rare)."""


@dataclass(frozen=True, slots=True)
class Tables:
    """What a matcher reads reports with (see `Matcher`): the words by stem, the phrases and
    groups they make, and per distinct watch its logic and the chats holding it."""

    stems: Stems
    phrases: list[tuple[int, ...]]  # phrase -1 - i is phrases[i]
    phrases_from: dict[int, list[int]]  # the phrases each word begins
    groups_of: dict[int, list[frozenset[int]]]  # the alias group terms each phrase is one of
    watches: list[CompiledWatch]
    any_of: Index  # the watches of one clause, found when any of its terms is
    all_of: Index  # the watches of several clauses, to count
    least: dict[int, int]  # for each watch of several clauses, `CompiledWatch.least`
    vetoed_by: Index  # the watches that exclude a term
    holders: list[tuple[tuple[int, str], ...]]
    senses: dict[frozenset[int], Senses]
    context: frozenset[int]  # the phrases that place a report in the region
    context_words: int


def word_count(stems: Mapping[str, int | tuple[int, ...]]) -> int:
    """How many words (a stem with one set of endings) `stems` indexes."""
    return sum(1 if isinstance(w, int) else len(w) for w in stems.values())


def compile_watches(watches: Iterable[tuple[int, str]], aliases: AliasBook) -> Tables:
    """Compile (chat_id, raw watch) pairs; a watch that does not parse is logged and skipped."""
    builder = _Builder(aliases)
    for chat_id, raw in watches:
        builder.add(chat_id, raw)
    return builder.tables()


class _Builder:
    """Compiles watches into the matcher's tables, sharing every word, phrase and term.

    Numbering: a word is (stem number << SET_BITS) | its ending set; a phrase of one word is
    that word's number, a phrase of several a negative number; a term is a `TermKey`. The
    tables hold as little as they can per word, since a chat may hold 50 watches of 50 words.
    """

    def __init__(self, aliases: AliasBook) -> None:
        self.aliases = aliases
        self.marked: Mapping[Phrase, Marked] = marked_phrases(aliases)
        # For each alias group term with marked spellings: the numbers of those phrases, of
        # those that need context, and of the words of their other meaning.
        self.senses: dict[frozenset[int], Senses] = {}
        self.stems: Stems = {}
        self.phrases: dict[tuple[int, ...], int] = {}
        self.groups: dict[frozenset[Phrase], frozenset[int]] = {}
        self.watches: dict[CompiledWatch, int] = {}
        self.holders: list[dict[tuple[int, str], None]] = []  # dicts as ordered sets
        self.parsed: dict[str, int | None] = {}

    def add(self, chat_id: int, raw: str) -> None:
        """Add one chat's watch; one that does not parse is logged (once) and skipped."""
        if raw not in self.parsed:
            self.parsed[raw] = self._compile(raw)
        number = self.parsed[raw]
        if number is not None:
            self.holders[number][(chat_id, raw)] = None

    def _compile(self, raw: str) -> int | None:
        """The number of the distinct watch `raw` compiles to, or None (logged) when it does
        not parse or is over the size rule."""
        try:
            watch = read_watch(raw, self.aliases)
            spelled = spellings(watch, self.aliases)
        except ValueError as error:
            logger.warning("Skipping watch %r: %s", raw, error)
            return None
        exact = [term.exact for term in terms(watch)]
        keys = list(map(self.term, spelled, exact))  # the clauses', then the excluded
        required: list[TermKey] = []
        alternatives: list[tuple[TermKey, ...]] = []
        start = 0
        for clause in watch.clauses:
            # Spellings of one name are one term: "Berdzor OR Lachin" is "Lachin".
            distinct = tuple(dict.fromkeys(keys[start : start + len(clause)]))
            start += len(clause)
            if len(distinct) == 1:
                required += distinct
            else:
                alternatives.append(distinct)
        compiled = CompiledWatch(
            required=tuple(dict.fromkeys(required)),
            alternatives=tuple(alternatives),
            excluded=tuple(dict.fromkeys(keys[start:])),
        )
        number = self.watches.setdefault(compiled, len(self.watches))
        if number == len(self.holders):
            self.holders.append({})
        return number

    def term(self, phrases: frozenset[Phrase], exact: bool = False) -> TermKey:
        """The key of a term of these spellings. A group with marked spellings is always a set
        of phrases (even of one), so the matcher can weigh them; an exact term (=Ganja) takes
        every spelling at its word, and is its phrase."""
        marked = [] if exact else [phrase for phrase in phrases if phrase in self.marked]
        if len(phrases) == 1 and not marked:
            (phrase,) = phrases
            return self.phrase(phrase)
        # Only alias groups have several spellings: a few dozen, each met again and again.
        if phrases not in self.groups:
            key = self.groups[phrases] = frozenset(map(self.phrase, phrases))
            if marked:
                other = frozenset[Phrase]().union(*(self.marked[p].other for p in marked))
                self.senses[key] = Senses(
                    marked=frozenset(map(self.phrase, marked)),
                    needs_context=frozenset(
                        self.phrase(p) for p in marked if self.marked[p].needs_context
                    ),
                    other=frozenset(map(self.phrase, other)),
                )
        return self.groups[phrases]

    def phrase(self, words: Phrase) -> int:
        """The number of a phrase: its word's when it has one, else a new negative number."""
        if len(words) == 1:
            return self.word(words[0])
        numbered = tuple(map(self.word, words))
        return self.phrases.setdefault(numbered, -1 - len(self.phrases))

    def word(self, word: Inflection) -> int:
        """The number of a word: its stem's number with its ending set in the low bits."""
        known = self.stems.get(word.stem)
        if known is None:
            number = len(self.stems) << SET_BITS | word.endings
            self.stems[word.stem] = number
            return number
        words = (known,) if isinstance(known, int) else known
        for number in words:
            if number & SET_MASK == word.endings:
                return number
        number = words[0] & ~SET_MASK | word.endings
        self.stems[word.stem] = (*words, number)
        return number

    def tables(self) -> Tables:
        """Everything added, as the tables a `Matcher` reads."""
        # The words that place a report in the region, indexed only when a watch may ask for them
        # (as phrases like any other, so they are found in the same scan).
        words = word_count(self.stems)
        context = (
            frozenset(map(self.phrase, context_phrases(self.aliases)))
            if any(senses.needs_context for senses in self.senses.values())
            else frozenset()
        )
        context_words = word_count(self.stems) - words
        watches = list(self.watches)
        any_of: Index = {}
        all_of: Index = {}
        vetoed_by: Index = {}
        least: dict[int, int] = {}
        for number, watch in enumerate(watches):
            if len(watch.required) + len(watch.alternatives) == 1:
                index = any_of
            else:
                index = all_of
                least[number] = watch.least()
            for term in dict.fromkeys(watch.wanted()):
                _add(index, term, number)
            for term in watch.excluded:
                _add(vetoed_by, term, number)
        phrases: list[tuple[int, ...]] = list(self.phrases)
        phrases_from: dict[int, list[int]] = {}
        for position, first in enumerate(phrase[0] for phrase in phrases):
            phrases_from.setdefault(first, []).append(-1 - position)
        groups_of: dict[int, list[frozenset[int]]] = {}
        for group in self.groups.values():
            for phrase in group:
                groups_of.setdefault(phrase, []).append(group)
        return Tables(
            stems=self.stems,
            phrases=phrases,
            phrases_from=phrases_from,
            groups_of=groups_of,
            watches=watches,
            any_of=any_of,
            all_of=all_of,
            least=least,
            vetoed_by=vetoed_by,
            holders=[tuple(holders) for holders in self.holders],
            senses=self.senses,
            context=context,
            context_words=context_words,
        )
