"""The alias book: every spelling of a place or party the region's press uses, read from TOML.

`watchers/data/aliases.toml` lists each group's spellings by language (the language decides the
endings a spelling takes, see `watchers.matching.endings`), the spellings that also name
something else, and the words that place a report in the region. A book is read once and then
shared: it is immutable, but for what the matcher works out from it (`AliasBook.memo`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from watchers.matching.endings import LANGUAGES, Phrase
from watchers.matching.normalize import key

__all__ = [
    "AliasBook",
    "AliasForm",
    "AliasGroup",
    "default_aliases",
    "load_aliases",
]

_SHIPPED = Path(__file__).parent.parent / "data" / "aliases.toml"


@dataclass(frozen=True, slots=True)
class AliasForm:
    """One spelling of a name and the language whose endings it takes; `searched`: whether
    search sources are asked for it (not for a form only made to read texts in capitals)."""

    text: str
    language: str
    searched: bool = True


@dataclass(frozen=True, slots=True)
class AliasGroup:
    """A place or party under every spelling the region's press uses.

    `ambiguous` holds the keys (see `key`) of the spellings that also name something else and
    count only with regional context; `namesakes` those that also name a club, a brand or a
    village elsewhere, and count unless the report shows it means that. Either does not count
    between quotation marks or beside a word of `other`, which show a report means the other
    thing (a football club, a wine, a US state). `context` says whether the group's spellings
    (but those) are evidence of the region.
    """

    name: str
    forms: tuple[AliasForm, ...]
    ambiguous: frozenset[str] = frozenset()
    context: bool = True
    other: tuple[AliasForm, ...] = ()
    namesakes: frozenset[str] = frozenset()

    @property
    def marked(self) -> frozenset[str]:
        """The keys of the spellings that may mean something else."""
        return self.ambiguous | self.namesakes


Listed = tuple[frozenset[Phrase], frozenset[Phrase]]
"""A listed term's spellings as words, and the words of its group's other meaning."""


@dataclass(frozen=True)
class AliasBook:
    """The alias groups, looked up by the folded form of any of their spellings, and the words
    besides them that place a report in the region."""

    groups: tuple[AliasGroup, ...]
    _index: Mapping[str, AliasGroup] = field(repr=False, compare=False)
    context_words: tuple[AliasForm, ...] = ()
    # For each listed term the matcher has met, by (key, exact), its words and those of its other
    # meaning (`watchers.matching.expand.listed`), worked out once per book.
    memo: dict[tuple[str, bool], Listed] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def forms_of(self, term: str) -> tuple[AliasForm, ...]:
        """Every form of the group `term` belongs to, or () when it belongs to none."""
        group = self._index.get(key(term))
        return group.forms if group else ()

    def group_of(self, term: str) -> AliasGroup | None:
        """The group `term` is a spelling of, if any."""
        return self._index.get(key(term))


@lru_cache(maxsize=1)
def default_aliases() -> AliasBook:
    """The shipped alias file, read once: what watches are checked against when stored."""
    return load_aliases()


_GROUP_SETTINGS = frozenset({"name", "ambiguous", "namesakes", "context", "other"})


def load_aliases(path: Path | None = None) -> AliasBook:
    """Read the alias file (the packaged one by default); raise ValueError on a malformed entry."""
    source = path or _SHIPPED
    with source.open("rb") as handle:
        data = tomllib.load(handle)
    groups: list[AliasGroup] = []
    index: dict[str, AliasGroup] = {}
    for entry in data.get("group", []):
        group = _read_group(entry, source)
        for form in group.forms:
            owner = index.setdefault(key(form.text), group)
            if owner is not group:
                raise ValueError(
                    f"{source}: {form.text!r} is in both {owner.name!r} and {group.name!r}."
                )
        groups.append(group)
    context = _read_forms(data["context"], source, "[context]") if "context" in data else []
    return AliasBook(tuple(groups), index, tuple(context))


def _read_forms(entry: Mapping[str, object], source: Path, where: str) -> list[AliasForm]:
    """The spellings of a table's language lists (every key not in `_GROUP_SETTINGS`)."""
    if not isinstance(entry, Mapping) or not entry:
        raise ValueError(f"{source}: {where} must be a table of language lists.")
    forms: list[AliasForm] = []
    for language, texts in entry.items():
        if language in _GROUP_SETTINGS:
            continue
        if language not in LANGUAGES:
            raise ValueError(f"{source}: {where} has unknown language {language!r}.")
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise ValueError(f"{source}: {where}: {language} must be a list of strings.")
        for text in texts:
            if not key(text):
                raise ValueError(f"{source}: {where} has a form without letters: {text!r}.")
            forms.append(AliasForm(text, language))
    return forms


def _in_capitals(forms: list[AliasForm]) -> list[AliasForm]:
    """The spellings with ı (Azerbaijani, Turkish) as a text in capitals gives them: "LAÇIN"
    reads as "laçin", since the capital of ı is I. Written with I, so that vowel harmony still
    knows the vowel (see `watchers.matching.endings.turkic`)."""
    keys = {key(form.text) for form in forms}
    capitals: dict[str, AliasForm] = {}
    for form in forms:
        if LANGUAGES[form.language].dotless_i and "ı" in form.text:
            variant = form.text.replace("ı", "I")
            if key(variant) not in keys:
                capitals.setdefault(key(variant), AliasForm(variant, form.language, False))
    return list(capitals.values())


def _read_group(entry: object, source: Path) -> AliasGroup:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise ValueError(f"{source}: every [[group]] needs a name.")
    name = entry["name"]
    forms = _read_forms(entry, source, f"group {name!r}")
    if not forms:
        raise ValueError(f"{source}: group {name!r} lists no forms.")
    forms += _in_capitals(forms)
    keys = {key(form.text) for form in forms}
    where = f"{source}: group {name!r}"
    ambiguous = _read_marked(entry, "ambiguous", keys, where)
    namesakes = _read_marked(entry, "namesakes", keys, where)
    context = entry.get("context", True)
    if context not in (True, False) or not isinstance(context, bool):
        raise ValueError(f"{where}: context must be true or false.")
    other = (
        _read_forms(entry["other"], source, f"group {name!r}: other") if "other" in entry else []
    )
    if other and not (ambiguous or namesakes):
        raise ValueError(f"{where}: other meanings need ambiguous spellings or namesakes.")
    return AliasGroup(name, tuple(forms), ambiguous, context, tuple(other), namesakes)


def _read_marked(
    entry: Mapping[str, object], setting: str, keys: set[str], where: str
) -> frozenset[str]:
    """The keys of the spellings a group lists under `setting`, each one of its forms."""
    texts = entry.get(setting, [])
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise ValueError(f"{where}: {setting} must be a list of strings.")
    stray = [text for text in texts if key(text) not in keys]
    if stray:
        raise ValueError(f"{where}: {setting} {stray[0]!r} is not one of its forms.")
    return frozenset(map(key, texts))
