"""One place, one watch: what a chat's watches mean together.

A place is an alias group (watchers/data/aliases.toml): `Lachin`, `Лачин` and `Laçın` are one
watch of it written three ways. Watches are compared by meaning, conservatively: a term is a
place (any spelling of it), one exact spelling of a place (`=Лачин`), or a word in no group;
a watch is its clauses of alternatives and its exclusions. Two watches mean the same only when
those are equal; one is within another also when it differs only by naming an exact spelling
where the other names its place (`=Лачин` within `Lachin`), unless that spelling may mean
something else (`=Ganja` finds every Ganja, `Ganja` only the city's).

An exclusion on one watch of a place holds for every watch of that place in the chat: a report
that names the place and contains an excluded term is alerted by none of them. The matcher
applies it through a veto watch per chat and place (the place's spellings the chat uses, then
any of the excluded terms), whose hits silence the chat's watches of the place (`place_vetoes`;
`watchers.fanout.fan_out` applies them). So a watch's meaning in a chat is its own plus the
exclusions of its places; it can be written as a watch when some clause names only the place,
and is otherwise left uncompared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from watchers.cpu import on_cpu

# The matcher's own reading of a watch (its syntax, a listed name written as separate words,
# the look-up key), so that what is compared here is what it matches.
from watchers.matching.aliases import AliasBook
from watchers.matching.expand import read_watch
from watchers.matching.normalize import key
from watchers.matching.syntax import Term

__all__ = [
    "Placement",
    "SharedExclusion",
    "Vetoes",
    "place_vetoes",
    "place_vetoes_on_cpu",
    "placement",
    "shared_exclusions",
]

_TermId = tuple[str, str]  # ("place", name), ("spelling", key) or ("word", key)
_Clauses = frozenset[frozenset[_TermId]]


@dataclass(frozen=True, slots=True)
class _Reading:
    """A watch as compared here. `places`: each place it looks for, with its terms naming it;
    `sole`: the places one of its clauses names with nothing else, so that every report it
    alerts names them."""

    raw: str
    clauses: _Clauses
    widened: _Clauses  # exact spellings read as their place, where that only widens
    excluded: Mapping[_TermId, Term]
    places: Mapping[str, tuple[Term, ...]]
    sole: frozenset[str]


def _term_id(term: Term, book: AliasBook, *, widen: bool = False) -> _TermId:
    group = book.group_of(term.text)
    if group is None:
        return ("word", key(term.text))
    if term.exact and not (widen and key(term.text) not in group.marked):
        return ("spelling", key(term.text))
    return ("place", group.name)


_KEPT = 1 << 12


@dataclass(slots=True)
class _Kept:
    """Readings of the last book's watches: /watch compares each keyword with up to 50 watches,
    and a thousand chats may hold the same ones. One book at a time, so none outlives its use."""

    book: AliasBook | None = None
    readings: dict[str, _Reading | None] = field(default_factory=dict)


_kept = _Kept()


def _read(raw: str, book: AliasBook) -> _Reading | None:
    """The watch's reading, or None for one the matcher would skip too."""
    if _kept.book is not book or len(_kept.readings) >= _KEPT:
        _kept.book, _kept.readings = book, {}
    if raw not in _kept.readings:
        _kept.readings[raw] = _reading(raw, book)
    return _kept.readings[raw]


def _reading(raw: str, book: AliasBook) -> _Reading | None:
    try:
        watch = read_watch(raw, book)
    except ValueError:
        return None
    places: dict[str, dict[Term, None]] = {}
    sole: set[str] = set()
    for clause in watch.clauses:
        groups = [book.group_of(term.text) for term in clause]
        for term, group in zip(clause, groups, strict=True):
            if group is not None:
                places.setdefault(group.name, {})[term] = None
        names = {group.name for group in groups if group is not None}
        if len(names) == 1 and None not in groups:
            sole |= names
    return _Reading(
        raw,
        frozenset(frozenset(_term_id(t, book) for t in clause) for clause in watch.clauses),
        frozenset(
            frozenset(_term_id(t, book, widen=True) for t in clause) for clause in watch.clauses
        ),
        {_term_id(term, book): term for term in watch.excluded},
        {name: tuple(terms) for name, terms in places.items()},
        frozenset(sole),
    )


def _readings(raws: Iterable[str], book: AliasBook) -> list[_Reading]:
    return [reading for raw in raws if (reading := _read(raw, book)) is not None]


_Excluded = dict[str, dict[_TermId, Term]]


def _excluded_by_place(readings: Iterable[_Reading]) -> _Excluded:
    """For each place, every term some watch of it excludes."""
    excluded: _Excluded = {}
    for reading in readings:
        for name in reading.places:
            excluded.setdefault(name, {}).update(reading.excluded)
    return excluded


def _effective(reading: _Reading, excluded: _Excluded) -> frozenset[_TermId] | None:
    """The exclusions that hold for this watch in its chat, or None when they cannot be written
    as its own (a place with exclusions is only one alternative of a clause)."""
    held = set(reading.excluded)
    for name in reading.places:
        if excluded.get(name):
            if name not in reading.sole:
                return None
            held.update(excluded[name])
    return frozenset(held)


def _within(narrow: _Reading, wide: _Reading, excluded: _Excluded) -> bool:
    """Whether every report `narrow` alerts in the chat, `wide` alerts too (conservatively)."""
    held = _effective(narrow, excluded)
    return (
        held is not None
        and held == _effective(wide, excluded)
        and wide.clauses in (narrow.clauses, narrow.widened)
    )


def _same_exclusions(before: _Excluded, after: _Excluded, places: Iterable[str]) -> bool:
    return all(before.get(name, {}).keys() == after.get(name, {}).keys() for name in places)


@dataclass(frozen=True, slots=True)
class Placement:
    """What /watch does with a new watch: nothing, when `covered_by` an existing one already
    alerts every report it would; else add it, in place of the watches it `replaces`."""

    covered_by: str | None = None
    replaces: tuple[str, ...] = ()


def placement(new: str, existing: Sequence[str], book: AliasBook) -> Placement:
    """How `new` joins a chat's `existing` watches.

    Covered: an existing watch alerts every report it would, and its exclusions change no other
    watch. Replacing: existing watches it alerts every report of, when dropping them changes
    nothing else (`=Лачин` when `Lachin` comes; `Ղարաբաղ` when `Karabakh -football` comes, since
    that exclusion would hold for `Ղարաբաղ` anyway).
    """
    reading = _read(new, book)
    if reading is None:
        return Placement()
    others = _readings(existing, book)
    before = _excluded_by_place(others)
    after = _excluded_by_place([*others, reading])
    named = {name for other in others for name in other.places}
    if _same_exclusions(before, after, named):
        for other in others:
            if _within(reading, other, after):
                return Placement(covered_by=other.raw)
    replaced = [other for other in others if _within(other, reading, after)]
    kept = [other for other in others if other not in replaced]
    remaining = _excluded_by_place([*kept, reading])
    still = {name for other in [*kept, reading] for name in other.places}
    if replaced and _same_exclusions(after, remaining, still):
        return Placement(replaces=tuple(other.raw for other in replaced))
    return Placement()


@dataclass(frozen=True, slots=True)
class SharedExclusion:
    """A place that several of a chat's watches name, and the terms some of them exclude:
    reports naming it that contain one are alerted by none of `watches`."""

    place: str
    spellings: tuple[Term, ...]  # every term of the chat's watches that names the place
    excluded: tuple[Term, ...]
    excluding: tuple[str, ...]  # the watches those exclusions are written on
    watches: tuple[str, ...]  # every watch of the chat that names the place

    @property
    def veto(self) -> str:
        """The place (as the chat writes it) and any excluded term, as a watch the matcher
        finds. The first clause always has two alternatives, so that two words are never read
        as one listed name ("Lachin corridor")."""
        spellings = list(self.spellings) * (2 if len(self.spellings) == 1 else 1)
        place = " OR ".join(map(_written, spellings))
        return f"{place} {' OR '.join(map(_written, self.excluded))}"


def _written(term: Term) -> str:
    return f'{"=" if term.exact else ""}"{term.text}"'


def shared_exclusions(watches: Iterable[str], book: AliasBook) -> list[SharedExclusion]:
    """Every place several of one chat's watches name where one of them excludes something."""
    readings = _readings(watches, book)
    excluded = _excluded_by_place(readings)
    shared: list[SharedExclusion] = []
    for name, terms in excluded.items():
        naming = [r for r in readings if name in r.places]
        if terms and len(naming) > 1:
            spellings = dict.fromkeys(term for r in naming for term in r.places[name])
            shared.append(
                SharedExclusion(
                    name,
                    tuple(spellings),
                    tuple(terms.values()),
                    tuple(r.raw for r in naming if r.excluded),
                    tuple(r.raw for r in naming),
                )
            )
    return shared


Vetoes = Mapping[tuple[int, str], frozenset[str]]
"""(chat id, veto watch) -> the chat's watches its hit silences."""


def _flagged(watches: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    """The watches of each chat that has an exclusion on some watch: the only chats that may
    need a veto ("-" is cheap to look for among 50,000 watches; reading them is not)."""
    pairs = list(watches)
    flagged = {chat_id for chat_id, raw in pairs if "-" in raw}
    by_chat: dict[int, list[str]] = {}
    for chat_id, raw in pairs:
        if chat_id in flagged:
            by_chat.setdefault(chat_id, []).append(raw)
    return by_chat


def place_vetoes(watches: Iterable[tuple[int, str]], book: AliasBook) -> Vetoes:
    """The veto watches of every chat's shared exclusions, from (chat id, watch) pairs."""
    return {
        (chat_id, shared.veto): frozenset(shared.watches)
        for chat_id, raws in _flagged(watches).items()
        if len(raws) > 1
        for shared in shared_exclusions(raws, book)
    }


async def place_vetoes_on_cpu(watches: Iterable[tuple[int, str]], book: AliasBook) -> Vetoes:
    """`place_vetoes` in the CPU worker, so that reading thousands of watches never holds the
    event loop; only the chats that may need one are sent there."""
    flagged = [(chat_id, raw) for chat_id, raws in _flagged(watches).items() for raw in raws]
    return await on_cpu(place_vetoes, flagged, book) if flagged else {}
