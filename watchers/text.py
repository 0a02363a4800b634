"""Text folding shared by keyword validation and matching.

Folding makes comparisons ignore case, Unicode form and accents: "Laçın", "LACIN" and "Lacin"
fold to the same string. Azerbaijani and Turkish dotted/dotless i fold to plain "i", and the
Azerbaijani schwa to "e", so "Xankəndi" and "Xankendi" meet.

Arabic and Persian script fold to one spelling of each letter the two write differently (ك/ک,
ي/ی/ى, ة/ه, the hamza seats, alef wasla), with vowel marks (tashkeel), the tatweel and the
zero-width non-joiner dropped: "قره‌باغ" and "قرهباغ", "كنجة" and "کنجه" meet.

Folding runs on every report for every poll, so it is done by `str.translate` over a table that
folds each distinct character once and keeps the result (`CharMap`), not by Unicode calls per
character.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

__all__ = ["CharMap", "fold", "fold_char", "fold_with_offsets"]

_SPECIAL = str.maketrans(
    {
        "ı": "i", "İ": "i", "ə": "e", "Ə": "e", "ß": "ss",
        # Arabic and Persian: one letter for each pair the two scripts spell apart
        "ک": "ك", "ی": "ي", "ى": "ي", "ة": "ه", "ۀ": "ه", "ٱ": "ا", "ڭ": "گ",
        "\u0640": "",  # tatweel, a stretch of the line between letters
        "\u200c": "",  # zero-width non-joiner: "قره‌باغ" is "قرهباغ"
    }
)  # fmt: skip
# A table keeps at most this many characters (about 6 MB); beyond that, say in a text made of
# ever new CJK characters, the others are worked out each time they appear.
_KEPT = 1 << 16
# Stands for "maps to other than exactly one character" in a CharMap's aligned table; should a
# text hold it, the exact (slower) path runs, so it can never give a wrong result.
_UNALIGNED = "\uffff"


def fold_char(char: str) -> str:
    """One character folded: Azerbaijani/Turkish letters, case, then NFKD with marks dropped."""
    decomposed = unicodedata.normalize("NFKD", char.translate(_SPECIAL).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _Table(dict[int, str]):
    """A `str.translate` table that works out a character's entry the first time it is met."""

    def __init__(self, convert: Callable[[str], str]) -> None:
        super().__init__()
        self._convert = convert

    def __missing__(self, code: int) -> str:
        piece = self._convert(chr(code))
        if len(self) < _KEPT:
            self[code] = piece
        return piece


class CharMap:
    """A per-character rewrite (each character to any string) applied at `str.translate` speed.

    `apply` also says where each output character came from, so a match in the rewritten text
    can be quoted as the original wrote it.
    """

    def __init__(self, convert: Callable[[str], str]) -> None:
        self._pieces = _Table(convert)
        self._aligned = _Table(self._one_or_mark)

    def _one_or_mark(self, char: str) -> str:
        piece = self._pieces[ord(char)]
        return piece if len(piece) == 1 else _UNALIGNED

    def __call__(self, text: str) -> str:
        """`text` rewritten."""
        return text.translate(self._pieces)

    def apply(self, text: str) -> tuple[str, list[int] | None]:
        """`text` rewritten, and for each of its characters the index in `text` it came from;
        None instead of that list when every character gave exactly one (the usual case)."""
        aligned = text.translate(self._aligned)
        index = aligned.find(_UNALIGNED)
        if index < 0:
            return aligned, None
        # Only the few characters that give other than one are looked at one by one (one real
        # text in ten has some: "…", "ß", Armenian "և"); the runs between them are copied.
        pieces: list[str] = []
        offsets: list[int] = []
        done = 0
        while index >= 0:
            pieces.append(aligned[done:index])
            offsets.extend(range(done, index))
            piece = self._pieces[ord(text[index])]
            pieces.append(piece)
            offsets.extend([index] * len(piece))
            done = index + 1
            index = aligned.find(_UNALIGNED, done)
        pieces.append(aligned[done:])
        offsets.extend(range(done, len(text)))
        return "".join(pieces), offsets


_FOLD = CharMap(fold_char)


def fold(text: str) -> str:
    """Return `text` case-folded, and accent-stripped (NFKD, marks dropped) for comparison."""
    return _FOLD(unicodedata.normalize("NFC", text))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold `text` and map every folded character back to its index in `text`.

    Matching runs on the folded string; the offsets let it quote the form that actually
    appears in the report ("Laçın"), not the folded one ("lacin").
    """
    folded, offsets = _FOLD.apply(text)
    return folded, list(range(len(text))) if offsets is None else offsets
