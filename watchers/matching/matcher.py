"""The matcher: which distinct watches one report satisfies, read once for every chat.

A report is read once, one dictionary look-up per word and ending length, whatever the number of
chats (the tables are `watchers.matching.compiler`'s). Only the watches that mention a word
found are evaluated, each once however many chats hold it; the fan-out to the chats holding a
watch is the caller's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, repeat
from typing import NamedTuple, cast

from watchers.matching.aliases import AliasBook
from watchers.matching.compiler import (
    CompiledWatch,
    Tables,
    TermKey,
    compile_watches,
    numbers,
    word_count,
)
from watchers.matching.endings import (
    ARABIC_PREFIXES,
    ARABIC_SCRIPT,
    LONGEST_ENDING,
    SET_MASK,
    SETS_WITH,
)
from watchers.matching.normalize import QUOTE_MARKS, normalize

__all__ = ["Found", "Hit", "Matcher", "MatcherSize"]

_TOKENS_KEPT = 1 << 15  # words of reports a matcher remembers the look-up of (some 4 MB)


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a phrase first appeared: (0 title / 1 text, start, -length) orders hits; `context`
    is the word that let an ambiguous spelling count, as the report wrote it."""

    rank: tuple[int, int, int]
    form: str
    context: str = ""
    quoted: bool = False  # written between quotation marks


def _rank(hit: Hit) -> tuple[int, int, int]:
    return hit.rank


def _prefer(hit: Hit, other: Hit) -> bool:
    """Whether `hit` names a group better than `other`: a spelling that needed no context
    first, then the first in the report."""
    return (bool(hit.context), hit.rank) < (bool(other.context), other.rank)


def _last_found_first(item: tuple[TermKey, Hit]) -> tuple[int, int, int]:
    """Sorts hits so that, written into a dict one after the other, the first found wins."""
    field_rank, start, length = item[1].rank
    return (-field_rank, -start, -length)


def _found_in(watch: CompiledWatch, hits: dict[TermKey, Hit]) -> Hit | None:
    """The first hit of the watch's terms if the report satisfies it, else None. (Excluded
    terms are the caller's to check, once per term found: `Matcher._evaluate`.)"""
    found = hits.keys()
    if not all(map(found.__contains__, watch.required)):
        return None
    for clause in watch.alternatives:
        if found.isdisjoint(clause):
            return None
    return min((hits[term] for term in watch.wanted() if term in found), key=_rank)


class Found(NamedTuple):
    """A report satisfies one distinct watch: the form it was found as (quoted as the report
    wrote it), every (chat_id, keyword) that holds this watch, for the caller to fan out to, and
    when the form is an ambiguous spelling ("Ganja"), the word that placed the report in the
    region ("Azerbaijan"; "" when the outlet is regional or no context was needed).

    Chats that wrote the same watch, or spellings of the same name, share one Found (and one
    `holders` tuple): matching costs the same for 1 chat or 10,000. (A named tuple: a report may
    satisfy hundreds of distinct watches, and this is the cheapest record to make.)
    """

    form: str
    holders: tuple[tuple[int, str], ...]
    context: str = ""


@dataclass(frozen=True, slots=True)
class MatcherSize:
    """What a matcher holds: look-up keys (stems), words (a stem with one set of endings),
    phrases of several words, and distinct watches; and of those words, how many only the
    region's context needed (indexed once, whatever the number of watches)."""

    stems: int
    words: int
    phrases: int
    watches: int
    context_words: int = 0


_Words = tuple[tuple[int, int, int], ...]  # the indexed words in one word of a report


class Matcher:
    """Every chat's watches compiled together (rebuilt only when a watchlist changes): one index
    of every distinct word, so a report is read once for all chats; per watch the AND/OR/NOT
    logic, evaluated once however many chats hold the same watch."""

    def __init__(self, tables: Tables) -> None:
        # The tables, each as an attribute of its own: reading a report looks them up per word.
        self._stems = tables.stems
        self._phrases = tables.phrases
        self._phrases_from = tables.phrases_from
        self._groups_of = tables.groups_of
        self._watches = tables.watches
        self._any_of = tables.any_of
        self._all_of = tables.all_of
        self._least = tables.least
        self._vetoed_by = tables.vetoed_by
        self._holders = tables.holders
        self._senses = tables.senses
        self._context = tables.context
        self._context_words = tables.context_words
        # What each word of the reports read so far holds, by the word as it stands in the text:
        # news repeats its vocabulary, so most words are looked up once, not once per report.
        self._tokens: dict[str, _Words] = {}

    @classmethod
    def build(cls, watches: Iterable[tuple[int, str]], aliases: AliasBook) -> Matcher:
        """Compile (chat_id, raw watch) pairs; a watch that does not parse is logged and skipped."""
        return cls(compile_watches(watches, aliases))

    @property
    def size(self) -> MatcherSize:
        """How much this matcher indexes, for tests and benchmarks of its bounds."""
        return MatcherSize(
            stems=len(self._stems),
            words=word_count(self._stems),
            phrases=len(self._phrases),
            watches=len(self._watches),
            context_words=self._context_words,
        )

    def match(self, title: str, text: str = "", *, regional: bool = False) -> list[Found]:
        """Every distinct watch the report satisfies, in the order they were first added.

        `regional`: the report comes from an outlet of the region, so ambiguous spellings
        ("Ganja") count without other context.
        """
        return self._evaluate(self._hits(title, text, regional))

    def _hits(self, title: str, text: str, regional: bool = False) -> dict[TermKey, Hit]:
        """The first hit of every term found in the report, title first."""
        phrases: dict[int, Hit] = {}
        for field_rank, content in enumerate((title, text)):
            if content:
                self._scan(content, *normalize(content), field_rank, phrases)
        return self._with_groups(phrases, regional)

    def _with_groups(self, phrases: dict[int, Hit], regional: bool) -> dict[TermKey, Hit]:
        """The phrases' hits, and each alias group's first hit among its phrases that count: a
        spelling that may mean something else does not count between quotation marks or beside
        a word of that meaning, and an ambiguous one only with context."""
        # A copy, to which the groups are added: the phrases' keys are terms too.
        hits = cast("dict[TermKey, Hit]", phrases).copy()
        context: Hit | None = None
        if self._context and not regional:
            found = [phrases[phrase] for phrase in self._context.intersection(phrases)]
            context = min(found, key=_rank) if found else None
        for phrase, hit in phrases.items():
            for group in self._groups_of.get(phrase, ()):
                senses = self._senses.get(group)
                if senses is not None and phrase in senses.marked:
                    if hit.quoted or not senses.other.isdisjoint(phrases):
                        continue  # the name of something else, or its other meaning
                    if phrase in senses.needs_context and not regional:
                        if context is None:
                            continue
                        hit = Hit(hit.rank, hit.form, context.form)
                if group not in hits or _prefer(hit, hits[group]):
                    hits[group] = hit
        return hits

    def _evaluate(self, hits: dict[TermKey, Hit]) -> list[Found]:
        """The watches these hits satisfy; only those that mention a term found are looked at."""
        # Work per watch found, not per watch looked at, wherever a bulk operation can do it:
        # a report may mention terms that a thousand distinct watches look for.
        forms: dict[int, Hit] = {}
        for term, hit in sorted(hits.items(), key=_last_found_first):
            forms.update(zip(numbers(self._any_of.get(term)), repeat(hit)))
        counts = Counter(chain.from_iterable(numbers(self._all_of.get(term)) for term in hits))
        for number, count in counts.items():
            if count >= self._least[number]:
                first = _found_in(self._watches[number], hits)
                if first is not None:
                    forms[number] = first
        for term in hits:
            for number in numbers(self._vetoed_by.get(term)):
                forms.pop(number, None)
        return [
            Found(forms[number].form, self._holders[number], forms[number].context)
            for number in sorted(forms)
        ]

    def _scan(
        self,
        content: str,
        normalized: str,
        offsets: list[int] | None,
        field_rank: int,
        hits: dict[int, Hit],
    ) -> None:
        """Record the first occurrence of every indexed word and phrase in `content` (read as
        `normalized`, see `normalize`)."""
        found: dict[int, tuple[int, int, _Words]] = {}
        position = number = 0
        tokens = self._tokens
        for token in normalized.split(" "):
            if token:
                words = tokens.get(token)
                if words is None:
                    if len(tokens) >= _TOKENS_KEPT:
                        tokens.clear()
                    words = tokens[token] = tuple(self._words_in(token))
                if words:
                    found[number] = (position, len(token), words)
                number += 1
            position += len(token) + 1

        def hit(start: int, stop: int) -> Hit:
            first, last = (
                (start, stop - 1) if offsets is None else (offsets[start], offsets[stop - 1])
            )
            quoted = (
                first > 0
                and content[first - 1] in QUOTE_MARKS
                and content[last + 1 : last + 2] in QUOTE_MARKS
            )
            return Hit((field_rank, start, start - stop), content[first : last + 1], quoted=quoted)

        def keep(key: int, start: int, stop: int) -> None:
            """Record the first hit of `key`, or a later one not between quotation marks if
            the first was: “Qarabağ” the club may precede Qarabağ the land."""
            first = hits.get(key)
            if first is None or first.quoted:
                later = hit(start, stop)
                if first is None or not later.quoted:
                    hits[key] = later

        for number, (position, length, words) in found.items():
            for start, stop, word in words:
                keep(word, position + start, position + stop)
                if stop != length:
                    continue
                for phrase in self._phrases_from.get(word, ()):
                    first = hits.get(phrase)
                    if first is None or first.quoted:
                        end = self._phrase_stop(phrase, number, found)
                        if end is not None:
                            keep(phrase, position + start, end)

    def _words_in(self, token: str) -> list[tuple[int, int, int]]:
        """The indexed words one word of the report holds, as (start, stop, word number): it may
        start after an apostrophe and end before one (l'Arménie, Karabakh's). Ordered by start,
        then longest first."""
        if "'" not in token:
            whole = self._stems_of(token, 0, len(token))
            if ARABIC_SCRIPT.match(token):
                for prefix in ARABIC_PREFIXES:
                    if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                        whole += self._stems_of(token[len(prefix) :], len(prefix), len(token))
            return whole
        apostrophes = [index for index, char in enumerate(token) if char == "'"]
        found: list[tuple[int, int, int]] = []
        for start in (0, *(index + 1 for index in apostrophes)):
            for stop in (len(token), *reversed(apostrophes)):
                if stop > start:
                    found += self._stems_of(token[start:stop], start, stop)
        return found

    def _stems_of(self, part: str, start: int, stop: int) -> list[tuple[int, int, int]]:
        """The words `part` is, whole: an indexed stem followed by one of its endings."""
        found: list[tuple[int, int, int]] = []
        for cut in range(min(LONGEST_ENDING, len(part) - 1) + 1):
            known = self._stems.get(part[: len(part) - cut])
            if known is None:
                continue
            sets = SETS_WITH.get(part[len(part) - cut :], 0)
            for word in (known,) if isinstance(known, int) else known:
                if sets >> (word & SET_MASK) & 1:
                    found.append((start, stop, word))
        return found

    def _phrase_stop(
        self, phrase: int, number: int, found: dict[int, tuple[int, int, _Words]]
    ) -> int | None:
        """Where `phrase` ends if its words after the first are the report's next words (the
        first is at word `number`), each whole but the last, which may end before an apostrophe."""
        words = self._phrases[-1 - phrase]
        stop = None
        for offset, word in enumerate(words[1:], 1):
            if number + offset not in found:
                return None
            position, length, hits = found[number + offset]
            whole = offset < len(words) - 1
            stop = next(
                (s for st, s, w in hits if st == 0 and w == word and (s == length or not whole)),
                None,
            )
            if stop is None:
                return None
            stop += position
        return stop
