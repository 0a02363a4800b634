"""Ending rules of the Slavic languages: Russian, Ukrainian, Belarusian, Bulgarian, Polish.

In these languages an adjective declines with its noun (Нагорный Карабах, в Нагорном Карабахе),
so every word of a phrase inflects (`Language.agreeing`); in the other languages only the last
word does.
"""

from __future__ import annotations

from watchers.matching.endings.base import Language, Rules, by_rules

__all__ = ["BELARUSIAN", "BULGARIAN", "POLISH", "RUSSIAN", "UKRAINIAN"]

# Russian, by the word's last letters (first rule that fits). Words ending in е, и, у, ю, э
# (Баку, Шуши, Ханкенди) do not decline. Fleeting vowels (миротворец, миротворца) are not
# modelled: list both forms. A listed name takes no genitive plural (-ов/-ев: "Лачинов" is a
# surname, not Lachin); a word of the user's own does.
_RUSSIAN_ADJECTIVE = (
    "ый", "ий", "ой", "ого", "его", "ому", "ему", "ым", "им", "ом", "ем",
    "ая", "яя", "ую", "юю", "ое", "ее", "ые", "ие", "ых", "их", "ыми", "ими", "ей",
)  # fmt: skip
_RUSSIAN_DECLENSIONS: Rules = (
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
RUSSIAN = Language(
    name=by_rules((*_RUSSIAN_DECLENSIONS, ("", ("", "а", "у", "ом", "ем", "е", "ы", "и", "ым")))),
    word=by_rules(
        (
            *_RUSSIAN_DECLENSIONS,
            ("", ("", "а", "у", "ом", "ем", "е", "ы", "и", "ов", "ев", "ам", "ами", "ах", "ым")),
        )
    ),
    agreeing=True,
)

# Ukrainian has its own endings, and before the locative/dative -і the last consonant of a stem
# in к, г, х alternates: Карабах -> у Карабасі, Сюнік -> Сюніці, ріка -> ріці.
_UKRAINIAN_ADJECTIVE = (
    "ий", "ого", "ому", "им", "ім", "а", "ої", "ій", "у", "ою", "е", "і", "их", "ими",
)  # fmt: skip
UKRAINIAN = Language(
    by_rules(
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
    ),
    agreeing=True,
)
BELARUSIAN = UKRAINIAN  # Belarusian declines close enough to Ukrainian for names

# Bulgarian: no cases, but a definite article on the end (Карабахът, Армения -> Арменията).
BULGARIAN = Language(
    by_rules(
        (
            ("ски", ("ски", "ска", "ско", "ските", "ския", "ският", "ската", "ското")),
            ("ия", ("ия", "ията", "ии")),
            ("а", ("а", "ата", "и")),
            *((vowel, (vowel,)) for vowel in "еиоую"),
            ("", ("", "а", "ът", "и", "ът", "ове")),
        )
    ),
    agreeing=True,
)

# Polish: cases with the locative's alternations (Stepanakert -> w Stepanakercie).
_POLISH_ADJECTIVE = (
    "ski", "skiego", "skiemu", "skim", "ska", "skiej", "ską", "skie", "skich", "skimi",
)  # fmt: skip
POLISH = Language(
    by_rules(
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
    ),
    agreeing=True,
)
