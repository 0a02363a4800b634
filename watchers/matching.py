"""Keyword matching for every chat at once: watch syntax, alias groups, inflected endings.

A watch is what a user typed after /watch: words (all must appear), "exact phrases",
alternatives joined by ` OR `, `-word` / `-"phrase"` exclusions, and `=word` to watch one
spelling instead of its whole alias group. One Aho-Corasick automaton holds every distinct
term of every chat, so a report is scanned once per poll whatever the number of chats; each
automaton hit is then checked for word boundaries and an allowed ending, and only the watches
that mention a hit term are evaluated.

Text is compared after `watchers.text.fold` and with every run of other characters (spaces,
hyphens, punctuation) read as one space, so "Nagorno-Karabakh" and "Nagorno Karabakh" meet.
Apostrophes are kept, since the English possessive ending is "'s".
"""

from __future__ import annotations

import logging
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from pathlib import Path

import ahocorasick

from watchers.models import Match
from watchers.text import fold, fold_with_offsets

__all__ = [
    "AliasBook",
    "AliasForm",
    "AliasGroup",
    "Matcher",
    "Term",
    "Watch",
    "load_aliases",
    "parse_watch",
    "search_terms",
]

logger = logging.getLogger(__name__)

DEFAULT_ALIASES = Path(__file__).parent / "data" / "aliases.toml"
MIN_INFLECTED = 4  # shorter words match only as written: "Baki" may take endings, "UN" may not

_APOSTROPHES = frozenset("'’‘ʼ՚")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_TOKEN = re.compile(r'(?P<neg>-)?(?P<exact>=)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))')


def _normalize(text: str) -> tuple[str, list[int]]:
    """Fold `text`, turn each run of non-alphanumeric characters into one space, keep apostrophes.

    Returns the normalized string and, for each of its characters, the index in `text` it came
    from, so a hit can be quoted exactly as the report wrote it.
    """
    folded, offsets = fold_with_offsets(text)
    chars: list[str] = []
    kept: list[int] = []
    for char, offset in zip(folded, offsets, strict=True):
        if char in _APOSTROPHES:
            char = "'"
        elif not char.isalnum():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char)
        kept.append(offset)
    return "".join(chars), kept


@lru_cache(maxsize=1 << 16)
def _key(text: str) -> str:
    """The form a term or alias is looked up and matched by (cached: a build asks often)."""
    return _normalize(text)[0].strip(" '")


# --- Inflection --------------------------------------------------------------------------------
# A word matches when it is followed by a word boundary, or by one of the endings its language
# allows and then a boundary. Endings are written here in their natural spelling and folded on
# import, so "ə"/"e", "ı"/"i", "ü"/"u" and "й"/"и" variants collapse as they do in the text.


@dataclass(frozen=True, slots=True)
class _Inflection:
    """A word as `stem` plus one of `endings`; "" in `endings` lets the stem stand alone."""

    stem: str
    endings: tuple[str, ...]


def _folded(endings: Iterable[str]) -> tuple[str, ...]:
    """Fold, deduplicate and order longest first, so "'s" is tried before "" and "dan" before "da"."""
    return tuple(sorted({fold(ending) for ending in endings}, key=lambda e: (-len(e), e)))


# English: plural and possessive, so "Armenians" and "Karabakh's" match; nothing else.
_ENGLISH = _folded(("", "s", "'s"))

# Azerbaijani and Turkish case endings as templates: A is the low vowel (a/ə, e), I the high one
# (ı/i/u/ü), chosen by vowel harmony from the stem's last vowel (see `_turkic`). The n-forms
# after a vowel cover possessive compounds ("Laçın dəhlizinə"); -dakı "in", -lı "from".
_TURKIC_AFTER_CONSONANT = ("A", "I", "In", "dA", "dAn", "lA", "dAkı", "lI")
_TURKIC_AFTER_VOWEL = (
    "yA", "nA", "nI", "nIn", "dA", "dAn", "ndA", "ndAn", "ylA", "dAkı", "ndAkı", "lI",
)  # fmt: skip

# Russian, by the word's last letters (first rule that fits): the ending is cut and any of the
# listed ones may stand in its place. Words ending in е, и, у, ю, э (Баку, Шуши, Ханкенди) do
# not decline. Fleeting vowels (миротворец, миротворца) are not modelled: list both forms.
_RUSSIAN_ADJECTIVE = (
    "ый", "ий", "ой", "ого", "его", "ому", "ему", "ым", "им", "ом", "ем",
    "ая", "яя", "ую", "юю", "ое", "ее", "ые", "ие", "ых", "их", "ыми", "ими", "ей",
)  # fmt: skip
_RUSSIAN_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ый", _RUSSIAN_ADJECTIVE),  # Нагорный -> Нагорном
    ("ий", _RUSSIAN_ADJECTIVE),  # армянский -> армянской
    ("ой", _RUSSIAN_ADJECTIVE),
    ("ия", ("ия", "ии", "ию", "ией", "иею")),  # Армения -> Армении
    ("ье", ("ье", "ья", "ью", "ьем")),  # Закавказье -> Закавказья
    ("ие", ("ие", "ия", "ию", "ием", "ии")),  # перемирие -> перемирия
    ("о", ("о", "а", "у", "ом", "е")),  # посольство -> посольстве
    ("а", ("а", "ы", "и", "е", "у", "ой", "ою")),  # Шуша -> Шуше, Гянджа -> Гянджи
    ("я", ("я", "и", "е", "ю", "ей", "ею")),
    ("ы", ("ы", "ов", "ев", "ам", "ами", "ах")),  # миротворцы -> миротворцев
    ("ь", ("ь", "и", "ю", "ем", "ью", "я", "е")),  # Нахичевань -> Нахичевани
    *((vowel, (vowel,)) for vowel in "еиуюэ"),
    ("", ("", "а", "у", "ом", "ем", "е", "ы", "и", "ов", "ев", "ам", "ами", "ах", "ым")),
)

# Armenian (Eastern): article -ը/-ն, genitive-dative -ի/-ին, ablative -ից, locative -ում,
# instrumental -ով. Stems in -ու take -վ- before a vowel (Բաքու -> Բաքվում); stems in -ա/-ո take
# a -յ- glide (Վարանդա -> Վարանդայում). Demonyms such as Ղարաբաղցի are words of their own.
_ARMENIAN_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ու", ("ու", "ուն", "վի", "վից", "վում", "վով")),
    ("ա", ("ա", "ան", "այի", "ային", "այից", "այում", "այով")),
    ("ո", ("ո", "ոն", "ոյի", "ոյին", "ոյից", "ոյում", "ոյով")),
    ("", ("", "ը", "ն", "ի", "ին", "ից", "ում", "ով")),
)


def _by_rules(rules: tuple[tuple[str, tuple[str, ...]], ...]) -> Callable[[str], _Inflection]:
    """Turn an ordered (last letters, endings) table, ending in a catch-all "" row, into an
    inflection function on folded words."""
    table = [(fold(final), _folded(endings)) for final, endings in rules]

    def inflect(word: str) -> _Inflection:
        final, endings = next((final, e) for final, e in table if word.endswith(final))
        return _Inflection(word[: len(word) - len(final)], endings)

    return inflect


def _turkic(word: str) -> _Inflection:
    """Azerbaijani/Turkish endings in harmony with the folded stem's last vowel.

    Folding merges ı/i and ö/o, ü/u, so the low vowel after i, o or u may be either a or e;
    the high vowel stays exact (u after o/u, else i), which keeps "Bakü" from matching "Bakunin".
    """
    vowels = [char for char in word if char in "aeiou"]
    last = vowels[-1] if vowels else ""
    lows = {"a": "a", "e": "e"}.get(last, "ae")
    high = "u" if last in ("o", "u") else "i"
    templates = _TURKIC_AFTER_VOWEL if word[-1] in "aeiou" else _TURKIC_AFTER_CONSONANT
    endings = [
        template.replace("A", low).replace("I", high) for template in templates for low in lows
    ]
    return _Inflection(word, _folded(["", *endings]))


def _english(word: str) -> _Inflection:
    return _Inflection(word, _ENGLISH)


_LANGUAGES: dict[str, Callable[[str], _Inflection]] = {
    "en": _english,
    "az": _turkic,
    "tr": _turkic,
    "ru": _by_rules(_RUSSIAN_RULES),
    "hy": _by_rules(_ARMENIAN_RULES),
}
# In Russian an adjective declines with its noun (Нагорный Карабах, в Нагорном Карабахе), so
# every word of a Russian phrase inflects; in the other languages only the last word does.
_AGREEING = frozenset({"ru"})
_AZERBAIJANI_LETTERS = frozenset("əƏıİğĞşŞ")


def _guess_language(text: str) -> str:
    """The inflection rules for a term that is in no alias group, judged by its letters."""
    for char in text:
        script = unicodedata.name(char, "").split(" ")[0]
        if script == "CYRILLIC":
            return "ru"
        if script == "ARMENIAN":
            return "hy"
    return "az" if _AZERBAIJANI_LETTERS.intersection(text) else "en"


def _inflect(word: str, language: str) -> _Inflection:
    if len(word) < MIN_INFLECTED:
        return _Inflection(word, ("",))
    return _LANGUAGES[language](word)


# --- Aliases -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AliasForm:
    """One spelling of a name and the language whose endings it takes."""

    text: str
    language: str


@dataclass(frozen=True, slots=True)
class AliasGroup:
    """A place or party under every spelling the region's press uses."""

    name: str
    forms: tuple[AliasForm, ...]


@dataclass(frozen=True)
class AliasBook:
    """The alias groups, looked up by the folded form of any of their spellings."""

    groups: tuple[AliasGroup, ...]
    _index: Mapping[str, AliasGroup] = field(repr=False, compare=False)

    def forms_of(self, term: str) -> tuple[AliasForm, ...]:
        """Every form of the group `term` belongs to, or () when it belongs to none."""
        group = self._index.get(_key(term))
        return group.forms if group else ()


def load_aliases(path: Path | None = None) -> AliasBook:
    """Read the alias file (the packaged one by default); raise ValueError on a malformed entry."""
    source = path or DEFAULT_ALIASES
    with source.open("rb") as handle:
        data = tomllib.load(handle)
    groups: list[AliasGroup] = []
    index: dict[str, AliasGroup] = {}
    for entry in data.get("group", []):
        group = _read_group(entry, source)
        for form in group.forms:
            owner = index.setdefault(_key(form.text), group)
            if owner is not group:
                raise ValueError(
                    f"{source}: {form.text!r} is in both {owner.name!r} and {group.name!r}."
                )
        groups.append(group)
    return AliasBook(tuple(groups), index)


def _read_group(entry: object, source: Path) -> AliasGroup:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise ValueError(f"{source}: every [[group]] needs a name.")
    name = entry["name"]
    forms: list[AliasForm] = []
    for language, texts in entry.items():
        if language == "name":
            continue
        if language not in _LANGUAGES:
            raise ValueError(f"{source}: group {name!r} has unknown language {language!r}.")
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise ValueError(f"{source}: group {name!r}: {language} must be a list of strings.")
        for text in texts:
            if not _key(text):
                raise ValueError(f"{source}: group {name!r} has a form without letters: {text!r}.")
            forms.append(AliasForm(text, language))
    if not forms:
        raise ValueError(f"{source}: group {name!r} lists no forms.")
    return AliasGroup(name, tuple(forms))


# --- Watch syntax ------------------------------------------------------------------------------


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


def parse_watch(raw: str) -> Watch:
    """Parse one watch; raise ValueError with a sentence a user can act on."""
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
    if _key(term.text):
        return
    if quoted and not term.text.strip():
        raise ValueError('An empty phrase "" has nothing to look for.')
    if not quoted and not term.text.strip("-="):
        raise ValueError(
            'Write "-" or "=" right before a word, without a space: -football, =Lachin.'
        )
    raise ValueError(f"“{term.text}” has no letters or digits to look for.")


# --- Matching ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pattern:
    """What the automaton finds (`key`) and the endings that may follow it."""

    key: str
    endings: tuple[str, ...]


def _patterns(form: AliasForm) -> list[_Pattern]:
    """The patterns of one spelling: its last word inflected, and in Russian every word."""
    words = _key(form.text).split(" ")
    last = _inflect(words[-1], form.language)
    heads: list[list[str]] = []
    for word in words[:-1]:
        if form.language in _AGREEING:
            inflection = _inflect(word, form.language)
            heads.append([inflection.stem + ending for ending in inflection.endings])
        else:
            heads.append([word])
    return [_Pattern(" ".join((*head, last.stem)), last.endings) for head in product(*heads)]


def _forms(term: Term, aliases: AliasBook) -> tuple[AliasForm, ...]:
    """The spellings a term stands for: its alias group, or with "=" only its own spelling."""
    group = aliases.forms_of(term.text)
    if not group:
        return (AliasForm(term.text, _guess_language(term.text)),)
    if not term.exact:
        return group
    key = _key(term.text)
    return tuple(form for form in group if _key(form.text) == key)


def _named_phrase(watch: Watch, aliases: AliasBook) -> Watch:
    """Unquoted words that together are a listed name ("Lachin corridor") mean that name, with
    all its spellings ("Лачинский коридор"), not each word on its own."""
    words = [clause[0] for clause in watch.clauses]
    if len(words) < 2 or watch.excluded or any(len(c) > 1 or c[0].exact for c in watch.clauses):
        return watch
    phrase = " ".join(term.text for term in words)
    return Watch(((Term(phrase),),)) if aliases.forms_of(phrase) else watch


def _parse(raw: str, aliases: AliasBook) -> Watch:
    return _named_phrase(parse_watch(raw), aliases)


def search_terms(watches: Iterable[str], aliases: AliasBook) -> list[str]:
    """Spellings to ask search sources (Google News, GDELT) for, so they return every candidate.

    A report must satisfy every clause of a watch, so one clause's alternatives (the first)
    suffice; the matcher then applies the whole watch. Unparsable watches are skipped.
    """
    terms: dict[str, None] = {}
    for raw in watches:
        try:
            watch = _parse(raw, aliases)
        except ValueError:
            continue
        for term in watch.clauses[0]:
            terms.update((form.text, None) for form in _forms(term, aliases))
    return list(terms)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A watch as sets of pattern ids: one set per clause, and one of excluded patterns."""

    clauses: tuple[frozenset[int], ...]
    excluded: frozenset[int]


@dataclass(frozen=True, slots=True)
class _Hit:
    """Where a pattern first appeared: (0 title / 1 text, start, -length) orders hits."""

    rank: tuple[int, int, int]
    form: str


class Matcher:
    """Built over every chat's watches (and rebuilt only when they change); one Aho-Corasick automaton over every
    distinct folded term of every chat, then per hit a boundary/ending check and per watch the
    AND/OR/NOT logic. Identical watches of many chats are evaluated once."""

    def __init__(
        self,
        automaton: ahocorasick.Automaton | None,
        patterns: list[_Pattern],
        watches: list[_Compiled],
        subscribers: list[dict[tuple[int, str], None]],
    ) -> None:
        self._automaton = automaton
        self._patterns = patterns
        self._watches = watches
        self._subscribers = subscribers
        self._watches_of: dict[int, list[int]] = {}
        for number, watch in enumerate(watches):
            for pattern_id in frozenset().union(*watch.clauses):
                self._watches_of.setdefault(pattern_id, []).append(number)

    @classmethod
    def build(cls, watches: Iterable[tuple[int, str]], aliases: AliasBook) -> Matcher:
        """Compile (chat_id, raw watch) pairs; a watch that does not parse is logged and skipped."""
        pattern_ids: dict[_Pattern, int] = {}
        term_ids: dict[tuple[str, bool], frozenset[int]] = {}
        parsed: dict[str, _Compiled | None] = {}
        numbers: dict[_Compiled, int] = {}
        subscribers: list[dict[tuple[int, str], None]] = []  # dicts as ordered sets

        def ids_of(term: Term) -> frozenset[int]:
            cache_key = (_key(term.text), term.exact)
            if cache_key not in term_ids:
                term_ids[cache_key] = frozenset(
                    pattern_ids.setdefault(pattern, len(pattern_ids))
                    for form in _forms(term, aliases)
                    for pattern in _patterns(form)
                )
            return term_ids[cache_key]

        for chat_id, raw in watches:
            if raw not in parsed:
                try:
                    watch = _parse(raw, aliases)
                except ValueError as error:
                    logger.warning("Skipping watch %r of chat %s: %s", raw, chat_id, error)
                    parsed[raw] = None
                    continue
                parsed[raw] = _Compiled(
                    tuple(frozenset().union(*map(ids_of, clause)) for clause in watch.clauses),
                    frozenset().union(*map(ids_of, watch.excluded)),
                )
            compiled = parsed[raw]
            if compiled is None:
                continue
            number = numbers.setdefault(compiled, len(numbers))
            if number == len(subscribers):
                subscribers.append({})
            subscribers[number][(chat_id, raw)] = None

        keys: dict[str, list[int]] = {}
        for pattern, pattern_id in pattern_ids.items():
            keys.setdefault(pattern.key, []).append(pattern_id)
        automaton = None
        if keys:
            automaton = ahocorasick.Automaton()
            for key, ids in keys.items():
                automaton.add_word(key, (len(key), tuple(ids)))
            automaton.make_automaton()
        return cls(automaton, list(pattern_ids), list(numbers), subscribers)

    def match(self, title: str, text: str = "") -> list[Match]:
        """One Match per (chat, watch) the report satisfies, quoting the form it was found as."""
        if self._automaton is None:
            return []
        hits: dict[int, _Hit] = {}
        for field_rank, content in enumerate((title, text)):
            if content:
                self._scan(self._automaton, content, field_rank, hits)
        found = set(hits)
        candidates = sorted(
            {n for pattern_id in found for n in self._watches_of.get(pattern_id, ())}
        )
        matches: list[Match] = []
        for number in candidates:
            watch = self._watches[number]
            if not watch.excluded.isdisjoint(found):
                continue
            if any(clause.isdisjoint(found) for clause in watch.clauses):
                continue
            first = min(
                (hits[pattern_id] for clause in watch.clauses for pattern_id in clause & found),
                key=lambda hit: hit.rank,
            )
            matches += [
                Match(chat_id, raw, first.form) for chat_id, raw in self._subscribers[number]
            ]
        return matches

    def _scan(
        self, automaton: ahocorasick.Automaton, content: str, field_rank: int, hits: dict[int, _Hit]
    ) -> None:
        """Record the first boundary-respecting occurrence of every pattern found in `content`."""
        normalized, offsets = _normalize(content)
        for end, (length, ids) in automaton.iter(normalized):
            start = end - length + 1
            if start > 0 and normalized[start - 1].isalnum():
                continue
            for pattern_id in ids:
                if pattern_id in hits:
                    continue
                stop = _ending_stop(normalized, end + 1, self._patterns[pattern_id].endings)
                if stop is not None:
                    form = content[offsets[start] : offsets[stop - 1] + 1]
                    hits[pattern_id] = _Hit((field_rank, start, start - stop), form)


def _ending_stop(text: str, at: int, endings: tuple[str, ...]) -> int | None:
    """Where the word ends if one of `endings` (longest first) follows `at` up to a boundary."""
    for ending in endings:
        stop = at + len(ending)
        if text.startswith(ending, at) and (stop == len(text) or not text[stop].isalnum()):
            return stop
    return None
