"""Ending rules of the Germanic languages: English and German."""

from __future__ import annotations

from watchers.matching.endings.base import Language, by_rules

__all__ = ["ENGLISH", "GERMAN"]

# English: the possessive for names; a word of the user's own also takes the plural ("tanks").
# Demonyms that are used in the plural ("Armenians") are listed as forms of their own. A place
# takes no plural: "Tartars" are a people, not Tartar.
ENGLISH = Language(
    name=by_rules((("", ("", "'s", "s'")),)),
    word=by_rules((("", ("", "s", "'s", "s'")),)),
)

# German: genitive -s/-es, adjectives in -isch, people in -er, and a few compound heads written
# together with the name ("Karabachkonflikt", "Latschinkorridor").
_GERMAN_COMPOUND = ("konflikt", "konflikts", "krieg", "kriegs", "region", "korridor", "frage")
GERMAN = Language(
    by_rules(
        (
            ("isch", ("isch", "ische", "ischen", "ischer", "isches", "ischem")),
            ("er", ("er", "ern", "ers", "erin", "erinnen")),
            ("", ("", "s", "es", *_GERMAN_COMPOUND, *("s" + head for head in _GERMAN_COMPOUND))),
        )
    )
)
