"""Ending rules of the Turkic languages: Azerbaijani and Turkish.

Both are agglutinative: case endings, possessives ("Şuşamız" our Shusha, "Laçınımıza" to our
Lachin), the plural and -lı "from" ("laçınlılar" people of Lachin), -dakı "the one in"
("Qarabağdakı"), and a case after each of those, in harmony with the stem's last vowel.
"""

from __future__ import annotations

from itertools import product

from watchers.matching.endings.base import Inflection, Language, ending_set

__all__ = ["AZERBAIJANI", "TURKISH"]

# Templates: A is the low vowel (a/ə, e), I the high one (ı/i/u/ü), chosen by vowel harmony from
# the stem's last vowel (see `_inflect`). The n-forms after a vowel cover the third-person
# possessive ("Laçın dəhlizinə", "Xankəndində").
_CASE_AFTER_CONSONANT: tuple[str, ...] = ("", "A", "I", "In", "dA", "dAn", "lA", "dAkI", "cA")
_CASE_AFTER_VOWEL: tuple[str, ...] = (
    "", "yA", "nI", "nIn", "dA", "dAn", "ylA", "dAkI", "nA", "ndA", "ndAn", "ndAkI", "ycA",
)  # fmt: skip
# What may stand between the stem and the case ending, by whether it ends in a consonant (then
# the case after a consonant follows) or in a vowel (a possessive: the n-forms follow).
# A name takes no plural of its own ("Karabağlar" is a district of İzmir), and of the possessives
# only "my" and "our" ("Şuşamız"): "your" would make "Şuşan" of Shushan, Susa's other name.
_MIDDLE_CONSONANT: tuple[str, ...] = ("Im", "ImIz", "lI", "lIlAr", "dAkIlAr")
_MIDDLE_VOWEL: tuple[str, ...] = ("I", "lIlArI", "dAkI", "lI")
_MIDDLE_CONSONANT_AFTER_VOWEL: tuple[str, ...] = ("m", "mIz", "lI", "lIlAr", "dAkIlAr")
_MIDDLE_VOWEL_AFTER_VOWEL: tuple[str, ...] = ("sI", "lIlArI", "dAkI", "lI")


def _templates(after_vowel: bool) -> tuple[str, ...]:
    if after_vowel:
        cases, consonant, vowel = (
            _CASE_AFTER_VOWEL,
            _MIDDLE_CONSONANT_AFTER_VOWEL,
            _MIDDLE_VOWEL_AFTER_VOWEL,
        )
    else:
        cases, consonant, vowel = (_CASE_AFTER_CONSONANT, _MIDDLE_CONSONANT, _MIDDLE_VOWEL)
    return tuple(
        dict.fromkeys(
            [
                *cases,
                *(m + c for m in consonant for c in _CASE_AFTER_CONSONANT),
                *(m + c for m in vowel for c in _CASE_AFTER_VOWEL),
            ]
        )
    )


def _endings(lows: str, highs: str, after_vowel: bool) -> int:
    """Every ending of the templates with each A one of `lows` and each I one of `highs`."""
    endings: set[str] = set()
    for template in _templates(after_vowel):
        pieces = template.replace("I", "\0I\0").replace("A", "\0A\0").split("\0")
        choices = [
            lows if piece == "A" else highs if piece == "I" else (piece,) for piece in pieces
        ]
        endings.update("".join(letters) for letters in product(*choices))
    return ending_set(endings)


# The high vowel after a, ı is ı, but a text in capitals writes it I, which reads as i.
_SETS = {
    (lows, highs, after_vowel): _endings(lows, highs, after_vowel)
    for lows in ("a", "e", "ae")
    for highs in ("ıi", "i", "u")
    for after_vowel in (False, True)
}


# The low vowel each written vowel calls for, where the letter says it for sure (a plain i, o or u
# may stand for ö or ü in a spelling typed without them). A capital I is the capital of ı.
_LOW_AFTER = {"a": "a", "ı": "a", "e": "e", "ə": "e", "ö": "e", "ü": "e"}


def _inflect(word: str, written: str = "") -> Inflection:
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
    return Inflection(word, _SETS[lows, highs, word[-1] in "aıeiou"])


AZERBAIJANI = Language(_inflect, dotless_i=True)
TURKISH = Language(_inflect, dotless_i=True)
