"""Ending rules of Armenian (Eastern, and Western/classical as the diaspora writes it)."""

from __future__ import annotations

from watchers.matching.endings.base import Language, by_rules

__all__ = ["ARMENIAN"]

# Article -ը/-ն, genitive-dative -ի/-ին, ablative -ից (Western -էն), locative -ում, instrumental
# -ով. Stems in -ու take -վ- before a vowel (Բաքու -> Բաքվում); stems in -ա/-ո take a -յ- glide
# (Վարանդա -> Վարանդայում). Demonyms such as Ղարաբաղցի are words of their own.
ARMENIAN = Language(
    by_rules(
        (
            ("ու", ("ու", "ուն", "վի", "վից", "վում", "վով", "ուէն")),
            ("ա", ("ա", "ան", "այի", "ային", "այից", "այում", "այով", "յի", "յէն", "յին")),
            ("ո", ("ո", "ոն", "ոյի", "ոյին", "ոյից", "ոյում", "ոյով")),
            ("", ("", "ը", "ն", "ի", "ին", "ից", "ում", "ով", "էն", "ու")),
        )
    )
)
