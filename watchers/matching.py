"""Keyword matching for every chat at once: watch syntax, alias groups, inflected endings.

A watch is what a user typed after /watch: words (all must appear), "exact phrases",
alternatives joined by ` OR `, `-word` / `-"phrase"` exclusions, and `=word` to watch one
spelling instead of its whole alias group.

Every word of every spelling is indexed on its own, as a stem and the endings its language
allows, in one dictionary shared by all chats; a phrase matches where its words are consecutive
words of the report. So compiling a watch costs one entry per word it names (never one per
combination of inflected forms), and a report is read once, one dictionary look-up per word
and ending length, whatever the number of chats. Only the watches that mention a word found
are evaluated.

Text is compared after `watchers.text.fold` and with every run of other characters (spaces,
hyphens, punctuation) read as one space, so "Nagorno-Karabakh" and "Nagorno Karabakh" meet.
Apostrophes are kept, since the English possessive ending is "'s".
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, product, repeat
from pathlib import Path
from typing import NamedTuple

from watchers.text import CharMap, fold_char

__all__ = [
    "MAX_PATTERNS_PER_WATCH",
    "AliasBook",
    "AliasForm",
    "AliasGroup",
    "Found",
    "Matcher",
    "MatcherSize",
    "Term",
    "Watch",
    "default_aliases",
    "load_aliases",
    "parse_watch",
    "search_terms",
    "watch_cost",
]

logger = logging.getLogger(__name__)

DEFAULT_ALIASES = Path(__file__).parent / "data" / "aliases.toml"
MIN_INFLECTED = 4  # shorter words match only as written: "Baki" may take endings, "UN" may not
# A watch may stand for at most this many words over all its spellings (see `watch_cost`): the
# shipped alias file (some 14 languages a name) tops out near 400 within the 100-character
# keyword limit, so this refuses nothing today, yet holds whatever an alias file grows to.
MAX_PATTERNS_PER_WATCH = 512

_APOSTROPHES = frozenset("'’‘ʼ՚")
# Quotation marks around a name make it the name of something else: a club (“Qarabağ”), a wine
# («Агдам»), a nom de guerre. (Not "'" and "’": they close a Turkish suffix, "Laçin'in".)
_QUOTE_MARKS = frozenset('"“”„‟«»‹›「」')
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_TOKEN = re.compile(r'(?P<neg>-)?(?P<exact>=)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))')


# Letters that tell one name from another are kept apart from the plain letter (only their case
# is folded): Azerbaijani/Turkish "Şuşa" is not "Susa" (the Italian and the Iranian town),
# "Laçın" not "Laçin" (a district of Çorum in Turkey); Croatian "suša" (drought) is not Şuşa.
# (Folding for keywords, `fold`, still drops these accents.) A spelling typed without them
# ("Qarabag") is listed in the alias file on its own.
_KEPT = {
    "ş": "ş", "Ş": "ş", "ç": "ç", "Ç": "ç", "ğ": "ğ", "Ğ": "ğ", "ı": "ı",
    "š": "š", "Š": "š", "č": "č", "Č": "č", "ž": "ž", "Ž": "ž",
}  # fmt: skip


def _match_char(char: str) -> str:
    """One character as matching reads it: folded (but the letters in `_KEPT`), any apostrophe
    as ', any other character that is not a letter or digit as a space."""
    kept = _KEPT.get(char)
    if kept is not None:
        return kept
    return "".join("'" if c in _APOSTROPHES else c if c.isalnum() else " " for c in fold_char(char))


_NORMALIZE = CharMap(_match_char)


def _normalize(text: str) -> tuple[str, list[int] | None]:
    """`text` as matching reads it (runs of spaces are left: matching reads it word by word), and
    for each of its characters the index in `text` it came from (None: the same index), so a
    hit can be quoted exactly as the report wrote it."""
    return _NORMALIZE.apply(text)


_CACHED = 1 << 12
"""Entries in each cache of term spellings: enough for the terms many chats share. More only
held every one-off word of 50,000 watches (12 MB more in the CPU worker) for no faster build."""


@lru_cache(maxsize=_CACHED)
def _key(text: str) -> str:
    """The form a term or alias is looked up and matched by: words separated by one space."""
    return " ".join(_NORMALIZE(text).split()).strip(" '")


# --- Inflection --------------------------------------------------------------------------------
# A word matches when it is followed by a word boundary, or by one of the endings its language
# allows and then a boundary. Endings are written here in their natural spelling and read as the
# matcher reads text (see `_match_char`), so "ə"/"e", "ı"/"i", "ü"/"u" and "й"/"и" variants
# collapse as they do in the text.
#
# The rules for listed names (the alias file) are stricter than for a word a user made up: a
# place takes no English plural ("Tartars" are a people, not Tartar) and no Russian genitive
# plural (-ов/-ев: "Лачинов" is a surname, not Lachin).


# Each distinct list of endings is registered once, at import, and named by its number: a word
# in the index is then a stem plus a set number.
_ENDING_SETS: list[frozenset[str]] = []


class _Inflection(NamedTuple):
    """A word as `stem` plus one of the endings of set `endings` ("" lets the stem stand alone).

    (A named tuple, not a dataclass: building a matcher hashes millions of them.)
    """

    stem: str
    endings: int


_Rules = tuple[tuple[str, tuple[str, ...]], ...]
_Inflect = Callable[[str], _Inflection]


def _ending_set(endings: Iterable[str]) -> int:
    """The number of the set of these endings (as matching reads them), registering it on first
    sight."""
    folded = frozenset(_NORMALIZE(ending) for ending in endings)
    if folded not in _ENDING_SETS:
        _ENDING_SETS.append(folded)
    return _ENDING_SETS.index(folded)


_AS_WRITTEN = _ending_set(("",))


def _by_rules(rules: _Rules) -> _Inflect:
    """Turn an ordered (last letters, endings) table, ending in a catch-all "" row, into an
    inflection function on folded words: the last letters are cut and any of the row's endings
    may stand in their place."""
    table = [(_NORMALIZE(final), _ending_set(endings)) for final, endings in rules]

    def inflect(word: str) -> _Inflection:
        final, endings = next((final, e) for final, e in table if word.endswith(final))
        return _Inflection(word[: len(word) - len(final)], endings)

    return inflect


# English: the possessive for names; a word of the user's own also takes the plural ("tanks").
# Demonyms that are used in the plural ("Armenians") are listed as forms of their own.
_ENGLISH_NAME = _by_rules((("", ("", "'s", "s'")),))
_ENGLISH_WORD = _by_rules((("", ("", "s", "'s", "s'")),))

# Azerbaijani and Turkish, agglutinative: case endings, possessives ("Şuşamız" our Shusha,
# "Laçınımıza" to our Lachin), the plural and -lı "from" ("laçınlılar" people of Lachin), -dakı
# "the one in" ("Qarabağdakı"), and a case after each of those. Templates: A is the low vowel
# (a/ə, e), I the high one (ı/i/u/ü), chosen by vowel harmony from the stem's last vowel (see
# `_turkic`). The n-forms after a vowel cover the third-person possessive ("Laçın dəhlizinə",
# "Xankəndində").
_TURKIC_CASE_AFTER_CONSONANT = ("", "A", "I", "In", "dA", "dAn", "lA", "dAkI", "cA")
_TURKIC_CASE_AFTER_VOWEL = (
    "", "yA", "nI", "nIn", "dA", "dAn", "ylA", "dAkI", "nA", "ndA", "ndAn", "ndAkI", "ycA",
)  # fmt: skip
# What may stand between the stem and the case ending, by whether it ends in a consonant (then
# the case after a consonant follows) or in a vowel (a possessive: the n-forms follow).
# A name takes no plural of its own ("Karabağlar" is a district of İzmir), and of the possessives
# only "my" and "our" ("Şuşamız"): "your" would make "Şuşan" of Shushan, Susa's other name.
_TURKIC_MIDDLE_CONSONANT = ("Im", "ImIz", "lI", "lIlAr", "dAkIlAr")
_TURKIC_MIDDLE_VOWEL = ("I", "lIlArI", "dAkI", "lI")
_TURKIC_MIDDLE_CONSONANT_AFTER_VOWEL = ("m", "mIz", "lI", "lIlAr", "dAkIlAr")
_TURKIC_MIDDLE_VOWEL_AFTER_VOWEL = ("sI", "lIlArI", "dAkI", "lI")


def _turkic_templates(after_vowel: bool) -> tuple[str, ...]:
    if after_vowel:
        cases, consonant, vowel = (
            _TURKIC_CASE_AFTER_VOWEL,
            _TURKIC_MIDDLE_CONSONANT_AFTER_VOWEL,
            _TURKIC_MIDDLE_VOWEL_AFTER_VOWEL,
        )
    else:
        cases, consonant, vowel = (
            _TURKIC_CASE_AFTER_CONSONANT,
            _TURKIC_MIDDLE_CONSONANT,
            _TURKIC_MIDDLE_VOWEL,
        )
    return tuple(
        dict.fromkeys(
            [
                *cases,
                *(m + c for m in consonant for c in _TURKIC_CASE_AFTER_CONSONANT),
                *(m + c for m in vowel for c in _TURKIC_CASE_AFTER_VOWEL),
            ]
        )
    )


def _turkic_endings(lows: str, highs: str, after_vowel: bool) -> int:
    """Every ending of the templates with each A one of `lows` and each I one of `highs`."""
    endings: set[str] = set()
    for template in _turkic_templates(after_vowel):
        pieces = template.replace("I", "\0I\0").replace("A", "\0A\0").split("\0")
        choices = [
            lows if piece == "A" else highs if piece == "I" else (piece,) for piece in pieces
        ]
        endings.update("".join(letters) for letters in product(*choices))
    return _ending_set(endings)


# The high vowel after a, ı is ı, but a text in capitals writes it I, which reads as i.
_TURKIC = {
    (lows, highs, after_vowel): _turkic_endings(lows, highs, after_vowel)
    for lows in ("a", "e", "ae")
    for highs in ("ıi", "i", "u")
    for after_vowel in (False, True)
}


# The low vowel each written vowel calls for, where the letter says it for sure (a plain i, o or u
# may stand for ö or ü in a spelling typed without them). A capital I is the capital of ı.
_LOW_AFTER = {"a": "a", "ı": "a", "e": "e", "ə": "e", "ö": "e", "ü": "e"}


def _turkic(word: str, written: str = "") -> _Inflection:
    """Azerbaijani/Turkish endings in harmony with the stem's last vowel, read from the word as
    `written` where its letter says more than the folded one (ö, ü, ə, and I for ı).

    After a or ı the high vowel is ı (or i, in capitals); after o or u it is u; else i, which
    keeps "Bakü" from matching "Bakunin".
    """
    letters = [
        char for char in written.replace("I", "ı").replace("İ", "i").lower() if char in "aıeəöüiou"
    ] or [char for char in word if char in "aıeiou"]
    last = letters[-1] if letters else "e"
    lows = _LOW_AFTER.get(last, "ae")
    highs = "ıi" if last in ("a", "ı") else "u" if last in ("o", "ö", "u", "ü") else "i"
    return _Inflection(word, _TURKIC[lows, highs, word[-1] in "aıeiou"])


# Russian, by the word's last letters (first rule that fits). Words ending in е, и, у, ю, э
# (Баку, Шуши, Ханкенди) do not decline. Fleeting vowels (миротворец, миротворца) are not
# modelled: list both forms.
_RUSSIAN_ADJECTIVE = (
    "ый", "ий", "ой", "ого", "его", "ому", "ему", "ым", "им", "ом", "ем",
    "ая", "яя", "ую", "юю", "ое", "ее", "ые", "ие", "ых", "их", "ыми", "ими", "ей",
)  # fmt: skip
_RUSSIAN_DECLENSIONS: _Rules = (
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
)
_RUSSIAN_NAME = _by_rules(
    (*_RUSSIAN_DECLENSIONS, ("", ("", "а", "у", "ом", "ем", "е", "ы", "и", "ым")))
)
_RUSSIAN_WORD = _by_rules(
    (
        *_RUSSIAN_DECLENSIONS,
        ("", ("", "а", "у", "ом", "ем", "е", "ы", "и", "ов", "ев", "ам", "ами", "ах", "ым")),
    )
)

# Ukrainian has its own endings, and before the locative/dative -і the last consonant of a stem
# in к, г, х alternates: Карабах -> у Карабасі, Сюнік -> Сюніці, ріка -> ріці.
_UKRAINIAN_ADJECTIVE = (
    "ий", "ого", "ому", "им", "ім", "а", "ої", "ій", "у", "ою", "е", "і", "их", "ими",
)  # fmt: skip
_UKRAINIAN = _by_rules(
    (
        ("ий", _UKRAINIAN_ADJECTIVE),  # Нагірний -> Нагірному, Лачинський -> Лачинського
        ("ій", ("ій", "ього", "ьому", "ім", "я", "ьої", "ю", "ьою", "є", "і", "іх", "іми")),
        ("ія", ("ія", "ії", "ію", "ією", "іям")),  # Грузія -> Грузії
        ("я", ("я", "і", "ю", "ею", "ї", "ям")),
        ("ка", ("ка", "ки", "ці", "ку", "кою")),
        ("га", ("га", "ги", "зі", "гу", "гою")),
        ("ха", ("ха", "хи", "сі", "ху", "хою")),
        ("а", ("а", "и", "і", "у", "ою", "ею")),  # Шуша -> Шуші, Гянджа -> Гянджі, Гянджею
        ("о", ("о", "а", "у", "ом", "і")),
        ("ь", ("ь", "і", "ю", "ем", "ею", "я")),  # Нахічевань -> Нахічевані
        ("к", ("к", "ка", "ку", "ком", "кові", "ці", "ки")),
        ("г", ("г", "га", "гу", "гом", "гові", "зі", "ги")),
        ("х", ("х", "ха", "ху", "хом", "хові", "сі", "хи")),  # Карабах -> Карабасі
        *((vowel, (vowel,)) for vowel in "еєиіїую"),
        ("", ("", "а", "у", "ом", "ем", "і", "ові", "еві", "и", "ю", "я", "ам", "ах")),
    )
)

# Bulgarian: no cases, but a definite article on the end (Карабахът, Армения -> Арменията).
_BULGARIAN = _by_rules(
    (
        ("ски", ("ски", "ска", "ско", "ските", "ския", "ският", "ската", "ското")),
        ("ия", ("ия", "ията", "ии")),
        ("а", ("а", "ата", "и")),
        *((vowel, (vowel,)) for vowel in "еиоую"),
        ("", ("", "а", "ът", "и", "ът", "ове")),
    )
)

# Polish: cases with the locative's alternations (Stepanakert -> w Stepanakercie).
_POLISH_ADJECTIVE = (
    "ski", "skiego", "skiemu", "skim", "ska", "skiej", "ską", "skie", "skich", "skimi",
)  # fmt: skip
_POLISH = _by_rules(
    (
        ("ski", _POLISH_ADJECTIVE),  # Górski Karabach -> w Górskim Karabachu
        ("ja", ("ja", "ji", "ję", "ją", "jo")),  # Gruzja -> Gruzji
        ("a", ("a", "y", "i", "ę", "ą", "ie", "o")),  # Szusza -> Szuszy
        ("t", ("t", "tu", "ta", "tem", "cie", "towi")),
        ("d", ("d", "du", "da", "dem", "dzie", "dowi")),
        ("r", ("r", "ru", "ra", "rem", "rze", "rowi")),
        ("ch", ("ch", "chu", "cha", "chem", "chowi")),
        ("n", ("n", "nu", "na", "nem", "niu", "nie", "nowi")),  # Laczyn -> w Laczynie
        *((vowel, (vowel,)) for vowel in "eiouy"),
        ("", ("", "u", "a", "em", "ie", "owi", "y")),
    )
)

# Armenian (Eastern, and Western/classical as the diaspora writes it): article -ը/-ն,
# genitive-dative -ի/-ին, ablative -ից (Western -էն), locative -ում, instrumental -ով. Stems in
# -ու take -վ- before a vowel (Բաքու -> Բաքվում); stems in -ա/-ո take a -յ- glide (Վարանդա ->
# Վարանդայում). Demonyms such as Ղարաբաղցի are words of their own.
_ARMENIAN = _by_rules(
    (
        ("ու", ("ու", "ուն", "վի", "վից", "վում", "վով", "ուէն")),
        ("ա", ("ա", "ան", "այի", "ային", "այից", "այում", "այով", "յի", "յէն", "յին")),
        ("ո", ("ո", "ոն", "ոյի", "ոյին", "ոյից", "ոյում", "ոյով")),
        ("", ("", "ը", "ն", "ի", "ին", "ից", "ում", "ով", "էն", "ու")),
    )
)

# German: genitive -s/-es, adjectives in -isch, people in -er, and a few compound heads written
# together with the name ("Karabachkonflikt", "Latschinkorridor").
_GERMAN_COMPOUND = ("konflikt", "konflikts", "krieg", "kriegs", "region", "korridor", "frage")
_GERMAN = _by_rules(
    (
        ("isch", ("isch", "ische", "ischen", "ischer", "isches", "ischem")),
        ("er", ("er", "ern", "ers", "erin", "erinnen")),
        ("", ("", "s", "es", *_GERMAN_COMPOUND, *("s" + head for head in _GERMAN_COMPOUND))),
    )
)

# French: names do not decline; demonyms and adjectives take gender and number.
_FRENCH = _by_rules(
    (
        ("ien", ("ien", "ienne", "iens", "iennes")),  # arménien -> arméniennes
        ("ais", ("ais", "aise", "aises")),  # azerbaïdjanais -> azerbaïdjanaise
        ("", ("",)),
    )
)

# Georgian: the nominative -ი drops before most case endings (ყარაბაღი -> ყარაბაღის).
_GEORGIAN = _by_rules(
    (
        ("ი", ("ი", "ის", "ში", "ს", "მა", "ით", "იდან", "ზე", "თან", "ისთვის", "ელი", "ელმა")),
        ("ა", ("ა", "ის", "აში", "ას", "ამ", "ით", "იდან", "აზე", "ასთან")),
        ("", ("", "ის", "ში", "ს", "მა", "ით", "იდან", "ზე")),
    )
)

# Arabic: the nisba adjective (-ي, fem. -ية read as -يه, pl. -يين/-يون) and the feminine and
# plural endings; the definite article and the one-letter prepositions and conjunctions before
# a word are prefixes (see `_ARABIC_PREFIXES`).
_ARABIC = _by_rules((("", ("", "ي", "يه", "يين", "يون", "ه", "ين", "ون", "ات")),))
# Persian: plural -ها/-های (written with or without the zero-width non-joiner), the ezafe and
# indefinite -ی/-ای/-یی, the people's plural -ان/-یان.
_PERSIAN = _by_rules((("", ("", "ی", "ای", "یی", "ها", "های", "هایی", "ان", "یان", "اش", "ش")),))

_TURKIC_LANGUAGES = frozenset({"az", "tr"})
_LANGUAGES: dict[str, _Inflect] = {
    "en": _ENGLISH_NAME,
    "az": _turkic,
    "tr": _turkic,
    "ru": _RUSSIAN_NAME,
    "uk": _UKRAINIAN,
    "be": _UKRAINIAN,  # Belarusian declines close enough to Ukrainian for names
    "bg": _BULGARIAN,
    "pl": _POLISH,
    "hy": _ARMENIAN,
    "de": _GERMAN,
    "fr": _FRENCH,
    "ka": _GEORGIAN,
    "ar": _ARABIC,
    "fa": _PERSIAN,
}
# A word a user made up (in no alias group) may be a common noun: it takes the plural.
_WORD_RULES: dict[str, _Inflect] = {"en": _ENGLISH_WORD, "ru": _RUSSIAN_WORD}
# In the Slavic languages an adjective declines with its noun (Нагорный Карабах, в Нагорном
# Карабахе), so every word of a phrase inflects; in the other languages only the last word does.
_AGREEING = frozenset({"ru", "uk", "be", "bg", "pl"})
# Arabic script writes short words tightly: its names take endings from 3 letters on.
_SHORTEST_INFLECTED = {"ar": 3, "fa": 3}
# Written before a word in Arabic script: the article, و "and", ف "so", ب "in/by", ل "for",
# ك "as", and their combinations (بالقرب, وال...). Each as matching reads it.
_ARABIC_PREFIXES = tuple(
    _NORMALIZE(prefix)
    for prefix in (
        "وال", "بال", "فال", "كال", "ولل", "وب", "ول", "وك", "فب", "فل", "ال", "لل",
        "و", "ف", "ب", "ل", "ك",
    )
)  # fmt: skip
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# For every ending, the mask of the sets that hold it; and how long an ending can be, which is
# how many letters a word of the report may lose to find its stem.
_SETS_WITH: dict[str, int] = {
    ending: sum(1 << number for number, endings in enumerate(_ENDING_SETS) if ending in endings)
    for ending in frozenset().union(*_ENDING_SETS)
}
_LONGEST_ENDING = max(map(len, _SETS_WITH))
_SET_BITS = len(_ENDING_SETS).bit_length()  # a word is numbered (stem number << _SET_BITS) | set
_SET_MASK = (1 << _SET_BITS) - 1
_TOKENS_KEPT = 1 << 15  # words of reports a matcher remembers the look-up of (some 4 MB)
_AZERBAIJANI_LETTERS = frozenset("əƏıİğĞşŞ")


# The Unicode blocks of the scripts whose words take their own endings.
_SCRIPTS = re.compile(
    "(?P<ru>[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f\U0001e030-\U0001e08f])"
    "|(?P<hy>[\u0530-\u058f\ufb13-\ufb17])"
    "|(?P<ka>[\u10a0-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f])"
    "|(?P<ar>[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff])"
)
_UKRAINIAN_LETTERS = frozenset("ЄєІіЇїҐґ")
_PERSIAN_LETTERS = frozenset("پچژگکی")


def _guess_language(text: str) -> str:
    """The inflection rules for a term that is in no alias group, judged by its letters: the
    first character of a script with rules of its own decides (Cyrillic is Ukrainian when it
    has Ukrainian letters, Arabic script Persian when it has Persian ones), else Azerbaijani
    letters, else English."""
    script = _SCRIPTS.search(text)
    if script is None:
        return "az" if _AZERBAIJANI_LETTERS.intersection(text) else "en"
    language = script.lastgroup or "en"
    if language == "ru" and _UKRAINIAN_LETTERS.intersection(text):
        return "uk"
    if language == "ar" and _PERSIAN_LETTERS.intersection(text):
        return "fa"
    return language


def _inflect(word: str, language: str, listed: bool, written: str = "") -> _Inflection:
    """`word` (as matching reads it, `written` as the alias file spells it) with the endings of
    `language`: a name's if `listed`."""
    if len(word) < _SHORTEST_INFLECTED.get(language, MIN_INFLECTED):
        return _Inflection(word, _AS_WRITTEN)
    if language in _TURKIC_LANGUAGES:
        return _turkic(word, written)
    rules = _LANGUAGES[language] if listed else _WORD_RULES.get(language, _LANGUAGES[language])
    return rules(word)


# --- Aliases -----------------------------------------------------------------------------------


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

    `ambiguous` holds the keys (see `_key`) of the spellings that also name something else and
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


@dataclass(frozen=True)
class AliasBook:
    """The alias groups, looked up by the folded form of any of their spellings, and the words
    besides them that place a report in the region."""

    groups: tuple[AliasGroup, ...]
    _index: Mapping[str, AliasGroup] = field(repr=False, compare=False)
    context_words: tuple[AliasForm, ...] = ()
    # For each listed term the matcher has met, its words and those of its other meaning (see
    # `_listed`), worked out once per book.
    _phrases: dict[tuple[str, bool], tuple[frozenset[_Phrase], frozenset[_Phrase]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def forms_of(self, term: str) -> tuple[AliasForm, ...]:
        """Every form of the group `term` belongs to, or () when it belongs to none."""
        group = self._index.get(_key(term))
        return group.forms if group else ()

    def group_of(self, term: str) -> AliasGroup | None:
        """The group `term` is a spelling of, if any."""
        return self._index.get(_key(term))


_GROUP_SETTINGS = frozenset({"name", "ambiguous", "namesakes", "context", "other"})


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
    context = _read_forms(data["context"], source, "[context]") if "context" in data else []
    return AliasBook(tuple(groups), index, context)


def _read_forms(entry: Mapping[str, object], source: Path, where: str) -> list[AliasForm]:
    """The spellings of a table's language lists (every key not in `_GROUP_SETTINGS`)."""
    if not isinstance(entry, Mapping) or not entry:
        raise ValueError(f"{source}: {where} must be a table of language lists.")
    forms: list[AliasForm] = []
    for language, texts in entry.items():
        if language in _GROUP_SETTINGS:
            continue
        if language not in _LANGUAGES:
            raise ValueError(f"{source}: {where} has unknown language {language!r}.")
        if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
            raise ValueError(f"{source}: {where}: {language} must be a list of strings.")
        for text in texts:
            if not _key(text):
                raise ValueError(f"{source}: {where} has a form without letters: {text!r}.")
            forms.append(AliasForm(text, language))
    return forms


def _in_capitals(forms: list[AliasForm]) -> list[AliasForm]:
    """The Azerbaijani and Turkish spellings with ı as a text in capitals gives them: "LAÇIN"
    reads as "laçin", since the capital of ı is I. Written with I, so that vowel harmony still
    knows the vowel (see `_turkic`)."""
    keys = {_key(form.text) for form in forms}
    capitals: dict[str, AliasForm] = {}
    for form in forms:
        if form.language in _TURKIC_LANGUAGES and "ı" in form.text:
            variant = form.text.replace("ı", "I")
            if _key(variant) not in keys:
                capitals.setdefault(_key(variant), AliasForm(variant, form.language, False))
    return list(capitals.values())


def _read_group(entry: object, source: Path) -> AliasGroup:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise ValueError(f"{source}: every [[group]] needs a name.")
    name = entry["name"]
    forms = _read_forms(entry, source, f"group {name!r}")
    if not forms:
        raise ValueError(f"{source}: group {name!r} lists no forms.")
    forms += _in_capitals(forms)
    keys = {_key(form.text) for form in forms}
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
    stray = [text for text in texts if _key(text) not in keys]
    if stray:
        raise ValueError(f"{where}: {setting} {stray[0]!r} is not one of its forms.")
    return frozenset(map(_key, texts))


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


def parse_watch(raw: str, aliases: AliasBook | None = None) -> Watch:
    """Parse one watch; raise ValueError with a sentence a user can act on.

    Its size is checked here too, against `aliases` (the shipped alias file by default), so
    that every watch the bot stores is one the matcher compiles at a bounded cost: one that
    would stand for more than MAX_PATTERNS_PER_WATCH words over all its spellings is refused.
    """
    watch = _read_syntax(raw)
    book = default_aliases() if aliases is None else aliases
    _spellings(_named_phrase(watch, book), book)
    return watch


def _read_syntax(raw: str) -> Watch:
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


@lru_cache(maxsize=1)
def default_aliases() -> AliasBook:
    """The shipped alias file, read once: what watches are checked against when stored."""
    return load_aliases()


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
    terms: dict[str, None] = {}
    for raw in watches:
        try:
            watch = _named_phrase(_read_syntax(raw), aliases)
        except ValueError:
            continue
        for term in watch.clauses[0]:
            terms.update((form.text, None) for form in _forms(term, aliases) if _searched(form))
    return list(terms)


_Phrase = tuple[_Inflection, ...]  # one spelling as the words it is indexed by


def _words(form: AliasForm, listed: bool = True) -> _Phrase:
    """One spelling as the words it is indexed by: its last word inflected, and in the Slavic
    languages every word, since there an adjective declines with its noun."""
    words = _key(form.text).split(" ")
    agreeing = form.language in _AGREEING
    written = form.text.split()[-1]  # for vowel harmony, only the last word's vowels matter
    return tuple(
        _inflect(word, form.language, listed, written)
        if agreeing or number == len(words) - 1
        else _Inflection(word, _AS_WRITTEN)
        for number, word in enumerate(words)
    )


def _phrases(term: Term, aliases: AliasBook) -> frozenset[_Phrase]:
    """The distinct spellings of a term, each as its words."""
    if not aliases.forms_of(term.text):
        return _unlisted_phrases(term.text)
    return _listed(term, aliases)[0]


def _listed(term: Term, aliases: AliasBook) -> tuple[frozenset[_Phrase], frozenset[_Phrase]]:
    """A term of an alias group: its spellings, and the words of the group's other meaning when
    the term may mean something else (never for an exact term); kept on the book, since a build
    meets the same names in thousands of watches."""
    memo = (_key(term.text), term.exact)
    if memo not in aliases._phrases:
        group = None if term.exact else aliases.group_of(term.text)
        other = group.other if group is not None and group.marked else ()
        spellings = frozenset(map(_words, _forms(term, aliases)))
        aliases._phrases[memo] = spellings, frozenset(map(_words, other))
    return aliases._phrases[memo]


@lru_cache(maxsize=_CACHED)
def _unlisted_phrases(text: str) -> frozenset[_Phrase]:
    """The one spelling of a term in no alias group (cached: popular words recur in many chats)."""
    return frozenset({_words(AliasForm(text, _guess_language(text)), listed=False)})


class _Marked(NamedTuple):
    """A spelling that may mean something else: whether it needs context (ambiguous) or only
    counts unless shown otherwise (a namesake), and its group's words of that other meaning."""

    needs_context: bool
    other: frozenset[_Phrase]


def _marked_phrases(aliases: AliasBook) -> dict[_Phrase, _Marked]:
    """The phrases of every spelling the alias file marks ambiguous or a namesake."""
    return {
        _words(form): _Marked(
            _key(form.text) in group.ambiguous, frozenset(map(_words, group.other))
        )
        for group in aliases.groups
        for form in group.forms
        if _key(form.text) in group.marked
    }


def _context_phrases(aliases: AliasBook) -> frozenset[_Phrase]:
    """The phrases that place a report in the region: the spellings of every group that counts
    as context, but those that may mean something else, and the context words."""
    forms = [
        form
        for group in aliases.groups
        if group.context
        for form in group.forms
        if _key(form.text) not in group.marked
    ]
    return frozenset(map(_words, [*forms, *aliases.context_words]))


def _terms(watch: Watch) -> list[Term]:
    return [term for clause in watch.clauses for term in clause] + list(watch.excluded)


def _cost(spellings: Iterable[frozenset[_Phrase]]) -> int:
    return sum(map(len, set().union(*spellings)))


def _other_meaning(term: Term, aliases: AliasBook) -> frozenset[_Phrase]:
    """The words of the other meaning of a term's group, which the matcher indexes with it when
    the term may mean something else (never for an exact term)."""
    return _listed(term, aliases)[1] if aliases.forms_of(term.text) else frozenset()


def watch_cost(watch: Watch, aliases: AliasBook) -> int:
    """How many words the matcher indexes for this watch: each word of each distinct spelling of
    each of its terms once, and of the words of a term's other meaning. Compiling a watch costs
    time and memory in proportion to this. (The words that place a report in the region are
    indexed once for all watches: `MatcherSize.context_words`.)"""
    watch = _named_phrase(watch, aliases)
    return _cost(_phrases(term, aliases) | _other_meaning(term, aliases) for term in _terms(watch))


def _spellings(watch: Watch, aliases: AliasBook) -> list[frozenset[_Phrase]]:
    """The spellings of every term of a watch (as the matcher reads it, see `_named_phrase`),
    in the order of `_terms`.

    The one place the size rule lives: raise ValueError, in words for the user, when they come
    to more than MAX_PATTERNS_PER_WATCH words.
    """
    terms = _terms(watch)
    spellings = [_phrases(term, aliases) for term in terms]
    cost = _cost([*spellings, *(_other_meaning(term, aliases) for term in terms)])
    if cost > MAX_PATTERNS_PER_WATCH:
        raise ValueError(
            f"This watch stands for {cost} words with all the spellings of its names, more"
            f" than the {MAX_PATTERNS_PER_WATCH} one watch may have: split it into smaller"
            " watches."
        )
    return spellings


class _Senses(NamedTuple):
    """How a matcher weighs an alias group's spellings that may mean something else: the
    phrases of those spellings, of those that need context, and of the other meaning's words."""

    marked: frozenset[int]
    needs_context: frozenset[int]
    other: frozenset[int]


# A term is found when any of its spellings (phrases) is. A term of one spelling is named by that
# phrase's number; a term of several (an alias group) by the frozenset of their numbers.
_TermKey = int | frozenset[int]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A watch as terms: all of `required`, one of each of `alternatives`, none of `excluded`.

    (The clauses with one term are kept apart from those with several, as one flat tuple: most
    clauses are single words, and this keeps a watch of many words small.)
    """

    required: tuple[_TermKey, ...]
    alternatives: tuple[tuple[_TermKey, ...], ...]
    excluded: tuple[_TermKey, ...]

    def least(self) -> int:
        """The fewest distinct terms that can satisfy the watch (a clause of alternatives may be
        met by a required term, or by the same term as another clause)."""
        required = set(self.required)
        return len(required) + any(required.isdisjoint(c) for c in self.alternatives)

    def wanted(self) -> Iterator[_TermKey]:
        """Every term the watch looks for (not the excluded ones), in order."""
        yield from self.required
        for clause in self.alternatives:
            yield from clause

    def found_in(self, hits: dict[_TermKey, _Hit]) -> _Hit | None:
        """The first hit of the watch's terms if the report satisfies it, else None. (Excluded
        terms are the caller's to check, once per term found: `Matcher._evaluate`.)"""
        found = hits.keys()
        if not all(map(found.__contains__, self.required)):
            return None
        for clause in self.alternatives:
            if found.isdisjoint(clause):
                return None
        return min((hits[term] for term in self.wanted() if term in found), key=_rank)


@dataclass(frozen=True, slots=True)
class _Hit:
    """Where a phrase first appeared: (0 title / 1 text, start, -length) orders hits; `context`
    is the word that let an ambiguous spelling count, as the report wrote it."""

    rank: tuple[int, int, int]
    form: str
    context: str = ""
    quoted: bool = False  # written between quotation marks


def _rank(hit: _Hit) -> tuple[int, int, int]:
    return hit.rank


def _prefer(hit: _Hit, other: _Hit) -> bool:
    """Whether `hit` names a group better than `other`: a spelling that needed no context
    first, then the first in the report."""
    return (bool(hit.context), hit.rank) < (bool(other.context), other.rank)


def _last_found_first(item: tuple[_TermKey, _Hit]) -> tuple[int, int, int]:
    """Sorts hits so that, written into a dict one after the other, the first found wins."""
    field_rank, start, length = item[1].rank
    return (-field_rank, -start, -length)


# Watch numbers by term: one int, or a list of several (most terms are in one watch).
_Index = dict[_TermKey, int | list[int]]


def _add(index: _Index, term: _TermKey, number: int) -> None:
    held = index.get(term)
    if held is None:
        index[term] = number
    elif isinstance(held, int):
        index[term] = [held, number]
    else:
        held.append(number)


def _numbers(held: int | list[int] | None) -> Iterable[int]:
    if held is None:
        return ()
    return (held,) if isinstance(held, int) else held


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


class _Builder:
    """Compiles watches into the matcher's tables, sharing every word, phrase and term.

    Numbering: a word is (stem number << _SET_BITS) | its ending set; a phrase of one word is
    that word's number, a phrase of several a negative number; a term is a `_TermKey`. The
    tables hold as little as they can per word, since a chat may hold 50 watches of 50 words.
    """

    def __init__(self, aliases: AliasBook) -> None:
        self.aliases = aliases
        self.marked = _marked_phrases(aliases)
        # For each alias group term with marked spellings: the numbers of those phrases, of
        # those that need context, and of the words of their other meaning.
        self.senses: dict[frozenset[int], _Senses] = {}
        # stem -> its word, or its words when it takes several ending sets (rare)
        self.stems: dict[str, int | tuple[int, ...]] = {}
        self.phrases: dict[tuple[int, ...], int] = {}
        self.groups: dict[frozenset[_Phrase], frozenset[int]] = {}
        self.watches: dict[_Compiled, int] = {}
        self.holders: list[dict[tuple[int, str], None]] = []  # dicts as ordered sets
        self.parsed: dict[str, int | None] = {}

    def add(self, chat_id: int, raw: str) -> None:
        """Add one chat's watch; one that does not parse is logged (once) and skipped."""
        if raw not in self.parsed:
            try:
                watch = _named_phrase(_read_syntax(raw), self.aliases)
                spellings = _spellings(watch, self.aliases)
            except ValueError as error:
                logger.warning("Skipping watch %r: %s", raw, error)
                self.parsed[raw] = None
                return
            exact = [term.exact for term in _terms(watch)]
            terms = list(map(self.term, spellings, exact))  # the clauses', then the excluded
            required: list[_TermKey] = []
            alternatives: list[tuple[_TermKey, ...]] = []
            start = 0
            for clause in watch.clauses:
                # Spellings of one name are one term: "Berdzor OR Lachin" is "Lachin".
                keys = tuple(dict.fromkeys(terms[start : start + len(clause)]))
                start += len(clause)
                if len(keys) == 1:
                    required += keys
                else:
                    alternatives.append(keys)
            compiled = _Compiled(
                required=tuple(dict.fromkeys(required)),
                alternatives=tuple(alternatives),
                excluded=tuple(dict.fromkeys(terms[start:])),
            )
            number = self.watches.setdefault(compiled, len(self.watches))
            if number == len(self.holders):
                self.holders.append({})
            self.parsed[raw] = number
        number = self.parsed[raw]
        if number is not None:
            self.holders[number][(chat_id, raw)] = None

    def term(self, phrases: frozenset[_Phrase], exact: bool = False) -> _TermKey:
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
                other = frozenset[_Phrase]().union(*(self.marked[p].other for p in marked))
                self.senses[key] = _Senses(
                    marked=frozenset(map(self.phrase, marked)),
                    needs_context=frozenset(
                        self.phrase(p) for p in marked if self.marked[p].needs_context
                    ),
                    other=frozenset(map(self.phrase, other)),
                )
        return self.groups[phrases]

    def phrase(self, words: _Phrase) -> int:
        if len(words) == 1:
            return self.word(words[0])
        numbers = tuple(map(self.word, words))
        return self.phrases.setdefault(numbers, -1 - len(self.phrases))

    def word(self, word: _Inflection) -> int:
        known = self.stems.get(word.stem)
        if known is None:
            number = len(self.stems) << _SET_BITS | word.endings
            self.stems[word.stem] = number
            return number
        words = (known,) if isinstance(known, int) else known
        for number in words:
            if number & _SET_MASK == word.endings:
                return number
        number = words[0] & ~_SET_MASK | word.endings
        self.stems[word.stem] = (*words, number)
        return number

    def matcher(self) -> Matcher:
        # The words that place a report in the region, indexed only when a watch may ask for them
        # (as phrases like any other, so they are found in the same scan).
        words = _word_count(self.stems)
        context = (
            frozenset(map(self.phrase, _context_phrases(self.aliases)))
            if any(senses.needs_context for senses in self.senses.values())
            else frozenset()
        )
        context_words = _word_count(self.stems) - words
        watches = list(self.watches)
        any_of: _Index = {}
        all_of: _Index = {}
        vetoed_by: _Index = {}
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
        phrases: list[tuple[int, ...]] = list(self.phrases)  # phrase -1 - i is phrases[i]
        phrases_from: dict[int, list[int]] = {}
        for index, words in enumerate(phrases):
            phrases_from.setdefault(words[0], []).append(-1 - index)
        groups_of: dict[int, list[frozenset[int]]] = {}
        for group in self.groups.values():
            for phrase in group:
                groups_of.setdefault(phrase, []).append(group)
        return Matcher(
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


def _word_count(stems: Mapping[str, int | tuple[int, ...]]) -> int:
    """How many words (a stem with one set of endings) `stems` indexes."""
    return sum(1 if isinstance(w, int) else len(w) for w in stems.values())


class Matcher:
    """Every chat's watches compiled together (rebuilt only when a watchlist changes): one index
    of every distinct word, so a report is read once for all chats; per watch the AND/OR/NOT
    logic, evaluated once however many chats hold the same watch."""

    def __init__(
        self,
        *,
        stems: dict[str, int | tuple[int, ...]],
        phrases: list[tuple[int, ...]],
        phrases_from: dict[int, list[int]],
        groups_of: dict[int, list[frozenset[int]]],
        watches: list[_Compiled],
        any_of: _Index,
        all_of: _Index,
        least: dict[int, int],
        vetoed_by: _Index,
        holders: list[tuple[tuple[int, str], ...]],
        senses: dict[frozenset[int], _Senses],
        context: frozenset[int],
        context_words: int,
    ) -> None:
        self._stems = stems
        self._phrases = phrases
        self._phrases_from = phrases_from
        self._groups_of = groups_of
        self._watches = watches
        # By term: the watches of one clause, found when any of its terms is; the watches of
        # several clauses, to count; the watches that exclude it.
        self._any_of = any_of
        self._all_of = all_of
        self._least = least  # for each watch of several clauses, `_Compiled.least`
        self._vetoed_by = vetoed_by
        self._holders = holders
        # The alias groups whose spellings may mean something else, and the phrases that place a
        # report in the region.
        self._senses = senses
        self._context_words = context_words
        self._context = context
        # What each word of the reports read so far holds, by the word as it stands in the text:
        # news repeats its vocabulary, so most words are looked up once, not once per report.
        self._tokens: dict[str, tuple[tuple[int, int, int], ...]] = {}

    @classmethod
    def build(cls, watches: Iterable[tuple[int, str]], aliases: AliasBook) -> Matcher:
        """Compile (chat_id, raw watch) pairs; a watch that does not parse is logged and skipped."""
        builder = _Builder(aliases)
        for chat_id, raw in watches:
            builder.add(chat_id, raw)
        return builder.matcher()

    @property
    def size(self) -> MatcherSize:
        """How much this matcher indexes, for tests and benchmarks of its bounds."""
        return MatcherSize(
            stems=len(self._stems),
            words=_word_count(self._stems),
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

    def _hits(self, title: str, text: str, regional: bool = False) -> dict[_TermKey, _Hit]:
        """The first hit of every term found in the report, title first."""
        phrases: dict[int, _Hit] = {}
        for field_rank, content in enumerate((title, text)):
            if content:
                self._scan(content, *_normalize(content), field_rank, phrases)
        return self._with_groups(phrases, regional)

    def _with_groups(self, phrases: dict[int, _Hit], regional: bool) -> dict[_TermKey, _Hit]:
        """The phrases' hits, and each alias group's first hit among its phrases that count: a
        spelling that may mean something else does not count between quotation marks or beside
        a word of that meaning, and an ambiguous one only with context."""
        hits: dict[_TermKey, _Hit] = dict(phrases)
        context: _Hit | None = None
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
                        hit = _Hit(hit.rank, hit.form, context.form)
                if group not in hits or _prefer(hit, hits[group]):
                    hits[group] = hit
        return hits

    def _evaluate(self, hits: dict[_TermKey, _Hit]) -> list[Found]:
        """The watches these hits satisfy; only those that mention a term found are looked at."""
        # Work per watch found, not per watch looked at, wherever a bulk operation can do it:
        # a report may mention terms that a thousand distinct watches look for.
        forms: dict[int, _Hit] = {}
        for term, hit in sorted(hits.items(), key=_last_found_first):
            forms.update(zip(_numbers(self._any_of.get(term)), repeat(hit)))
        counts = Counter(chain.from_iterable(_numbers(self._all_of.get(term)) for term in hits))
        for number, count in counts.items():
            if count >= self._least[number]:
                first = self._watches[number].found_in(hits)
                if first is not None:
                    forms[number] = first
        for term in hits:
            for number in _numbers(self._vetoed_by.get(term)):
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
        hits: dict[int, _Hit],
    ) -> None:
        """Record the first occurrence of every indexed word and phrase in `content` (read as
        `normalized`, see `_normalize`)."""
        found: dict[int, tuple[int, int, tuple[tuple[int, int, int], ...]]] = {}
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

        def hit(start: int, stop: int) -> _Hit:
            first, last = (
                (start, stop - 1) if offsets is None else (offsets[start], offsets[stop - 1])
            )
            quoted = (
                first > 0
                and content[first - 1] in _QUOTE_MARKS
                and content[last + 1 : last + 2] in _QUOTE_MARKS
            )
            return _Hit((field_rank, start, start - stop), content[first : last + 1], quoted=quoted)

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
            found = self._stems_of(token, 0, len(token))
            if _ARABIC_SCRIPT.match(token):
                for prefix in _ARABIC_PREFIXES:
                    if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                        found += self._stems_of(token[len(prefix) :], len(prefix), len(token))
            return found
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
        for cut in range(min(_LONGEST_ENDING, len(part) - 1) + 1):
            known = self._stems.get(part[: len(part) - cut])
            if known is None:
                continue
            sets = _SETS_WITH.get(part[len(part) - cut :], 0)
            for word in (known,) if isinstance(known, int) else known:
                if sets >> (word & _SET_MASK) & 1:
                    found.append((start, stop, word))
        return found

    def _phrase_stop(
        self,
        phrase: int,
        number: int,
        found: dict[int, tuple[int, int, tuple[tuple[int, int, int], ...]]],
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
