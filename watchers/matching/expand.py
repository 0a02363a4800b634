"""What a watch stands for: its terms' spellings as the words the matcher indexes; the size rule.

A term of an alias group stands for every spelling of the group (with "=" only its own), a
term in no group for itself, read in the language its letters suggest. Each spelling is indexed
as its words (`words`): the last one inflected, and in the languages where adjectives agree
(`Language.agreeing`) every one. Unquoted words that together are a listed name ("Lachin
corridor") mean that name (`named_phrase`).

What a watch costs to compile is counted here, once for every caller (`spellings`): the bot
refuses a watch over `MAX_PATTERNS_PER_WATCH` words when it is stored (`parse_watch`), and the
matcher skips one when it is built over a bigger alias file than the watch was stored under.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple

from watchers.matching.aliases import AliasBook, AliasForm, Listed, default_aliases
from watchers.matching.endings import AS_WRITTEN, LANGUAGES, Inflection, Phrase, guess_language
from watchers.matching.endings import inflect as inflect_word
from watchers.matching.normalize import CACHED, key
from watchers.matching.syntax import Term, Watch, read_syntax

__all__ = [
    "MAX_PATTERNS_PER_WATCH",
    "Marked",
    "context_phrases",
    "marked_phrases",
    "named_phrase",
    "parse_watch",
    "phrases",
    "read_watch",
    "search_terms",
    "spellings",
    "terms",
    "watch_cost",
]

# A watch may stand for at most this many words over all its spellings (see `watch_cost`): the
# shipped alias file (some 14 languages a name) tops out near 400 within the 100-character
# keyword limit, so this refuses nothing today, yet holds whatever an alias file grows to.
MAX_PATTERNS_PER_WATCH = 512

_BOOKS = 4
"""Alias books whose derived phrases are kept: a running bot has one (the CPU worker gets a copy
equal to it with every build), tests a few."""


def parse_watch(raw: str, aliases: AliasBook | None = None) -> Watch:
    """Parse one watch; raise ValueError with a sentence a user can act on.

    Its size is checked here too, against `aliases` (the shipped alias file by default), so
    that every watch the bot stores is one the matcher compiles at a bounded cost: one that
    would stand for more than MAX_PATTERNS_PER_WATCH words over all its spellings is refused.
    """
    watch = read_syntax(raw)
    book = default_aliases() if aliases is None else aliases
    spellings(named_phrase(watch, book), book)
    return watch


def read_watch(raw: str, aliases: AliasBook) -> Watch:
    """The watch as the matcher reads it: its syntax (read once, see `read_syntax`), with a
    listed name written as separate words read as that name (`named_phrase`); raise ValueError
    when it does not parse."""
    return named_phrase(read_syntax(raw), aliases)


def _forms(term: Term, aliases: AliasBook) -> tuple[AliasForm, ...]:
    """The spellings a term stands for: its alias group, or with "=" only its own spelling."""
    group = aliases.forms_of(term.text)
    if not group:
        return (AliasForm(term.text, guess_language(term.text)),)
    if not term.exact:
        return group
    wanted = key(term.text)
    return tuple(form for form in group if key(form.text) == wanted)


def named_phrase(watch: Watch, aliases: AliasBook) -> Watch:
    """Unquoted words that together are a listed name ("Lachin corridor") mean that name, with
    all its spellings ("Лачинский коридор"), not each word on its own."""
    firsts = [clause[0] for clause in watch.clauses]
    if len(firsts) < 2 or watch.excluded or any(len(c) > 1 or c[0].exact for c in watch.clauses):
        return watch
    phrase = " ".join(term.text for term in firsts)
    return Watch(((Term(phrase),),)) if aliases.forms_of(phrase) else watch


def _searched(form: AliasForm) -> bool:
    """Whether search sources are asked for this spelling: not for the word forms the alias file
    writes in lower case (adjectives such as "лачинский", demonyms such as "erməni"), which a
    search for the name brings up anyway, nor for a form made to read texts in capitals. Each
    spelling asked for makes search queries longer, and GDELT is asked at most every 5 s."""
    return form.searched and not form.text[:1].islower()


def search_terms(watches: Iterable[str], aliases: AliasBook) -> list[str]:
    """Spellings to ask search sources (Google News, GDELT) for, so they return every candidate.

    A report must satisfy every clause of a watch, so one clause's alternatives (the first)
    suffice; the matcher then applies the whole watch. Unparsable watches are skipped.
    """
    return list(_search_terms(tuple(watches), aliases))


@lru_cache(maxsize=1)
def _search_terms(watches: tuple[str, ...], aliases: AliasBook) -> tuple[str, ...]:
    """`search_terms`, kept for the last watches asked about: every search poll asks about every
    watch (some 200 ms for 30,000 distinct watches), and they change only with a watchlist."""
    found: dict[str, None] = {}
    for raw in watches:
        try:
            watch = read_watch(raw, aliases)
        except ValueError:
            continue
        for term in watch.clauses[0]:
            found.update((form.text, None) for form in _forms(term, aliases) if _searched(form))
    return tuple(found)


def words(form: AliasForm, listed: bool = True) -> Phrase:
    """One spelling as the words it is indexed by: its last word inflected, and in the Slavic
    languages every word, since there an adjective declines with its noun."""
    parts = key(form.text).split(" ")
    agreeing = LANGUAGES[form.language].agreeing
    written = form.text.split()[-1]  # for vowel harmony, only the last word's vowels matter
    return tuple(
        inflect_word(word, form.language, listed, written)
        if agreeing or number == len(parts) - 1
        else Inflection(word, AS_WRITTEN)
        for number, word in enumerate(parts)
    )


def phrases(term: Term, aliases: AliasBook) -> frozenset[Phrase]:
    """The distinct spellings of a term, each as its words."""
    if not aliases.forms_of(term.text):
        return _unlisted_phrases(term.text)
    return _listed(term, aliases)[0]


def _listed(term: Term, aliases: AliasBook) -> Listed:
    """A term of an alias group: its spellings, and the words of the group's other meaning when
    the term may mean something else (never for an exact term); kept on the book, since a build
    meets the same names in thousands of watches."""
    memo = (key(term.text), term.exact)
    if memo not in aliases.memo:
        group = None if term.exact else aliases.group_of(term.text)
        other = group.other if group is not None and group.marked else ()
        spelled = frozenset(map(words, _forms(term, aliases)))
        aliases.memo[memo] = spelled, frozenset(map(words, other))
    return aliases.memo[memo]


@lru_cache(maxsize=CACHED)
def _unlisted_phrases(text: str) -> frozenset[Phrase]:
    """The one spelling of a term in no alias group (cached: popular words recur in many chats)."""
    return frozenset({words(AliasForm(text, guess_language(text)), listed=False)})


class Marked(NamedTuple):
    """A spelling that may mean something else: whether it needs context (ambiguous) or only
    counts unless shown otherwise (a namesake), and its group's words of that other meaning."""

    needs_context: bool
    other: frozenset[Phrase]


@lru_cache(maxsize=_BOOKS)
def marked_phrases(aliases: AliasBook) -> Mapping[Phrase, Marked]:
    """The phrases of every spelling the alias file marks ambiguous or a namesake (worked out
    once per book, not at every matcher build)."""
    return {
        words(form): Marked(key(form.text) in group.ambiguous, frozenset(map(words, group.other)))
        for group in aliases.groups
        for form in group.forms
        if key(form.text) in group.marked
    }


@lru_cache(maxsize=_BOOKS)
def context_phrases(aliases: AliasBook) -> frozenset[Phrase]:
    """The phrases that place a report in the region: the spellings of every group that counts
    as context, but those that may mean something else, and the context words (worked out once
    per book)."""
    forms = [
        form
        for group in aliases.groups
        if group.context
        for form in group.forms
        if key(form.text) not in group.marked
    ]
    return frozenset(map(words, [*forms, *aliases.context_words]))


def terms(watch: Watch) -> list[Term]:
    """Every term of a watch: its clauses' in order, then the excluded ones."""
    return [term for clause in watch.clauses for term in clause] + list(watch.excluded)


def _cost(spelled: Iterable[frozenset[Phrase]]) -> int:
    return sum(map(len, set().union(*spelled)))


def _other_meaning(term: Term, aliases: AliasBook) -> frozenset[Phrase]:
    """The words of the other meaning of a term's group, which the matcher indexes with it when
    the term may mean something else (never for an exact term)."""
    return _listed(term, aliases)[1] if aliases.forms_of(term.text) else frozenset()


def watch_cost(watch: Watch, aliases: AliasBook) -> int:
    """How many words the matcher indexes for this watch: each word of each distinct spelling of
    each of its terms once, and of the words of a term's other meaning. Compiling a watch costs
    time and memory in proportion to this. (The words that place a report in the region are
    indexed once for all watches: `MatcherSize.context_words`.)"""
    watch = named_phrase(watch, aliases)
    return _cost(phrases(term, aliases) | _other_meaning(term, aliases) for term in terms(watch))


def spellings(watch: Watch, aliases: AliasBook) -> list[frozenset[Phrase]]:
    """The spellings of every term of a watch (as the matcher reads it, see `named_phrase`),
    in the order of `terms`.

    The one place the size rule lives: raise ValueError, in words for the user, when they come
    to more than MAX_PATTERNS_PER_WATCH words.
    """
    every = terms(watch)
    spelled = [phrases(term, aliases) for term in every]
    cost = _cost([*spelled, *(_other_meaning(term, aliases) for term in every)])
    if cost > MAX_PATTERNS_PER_WATCH:
        raise ValueError(
            f"This watch stands for {cost} words with all the spellings of its names, more"
            f" than the {MAX_PATTERNS_PER_WATCH} one watch may have: split it into smaller"
            " watches."
        )
    return spelled
