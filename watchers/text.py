"""Text folding shared by keyword validation and matching.

Folding makes comparisons ignore case, Unicode form and accents: "Laçın", "LACIN" and "Lacin"
fold to the same string. Azerbaijani and Turkish dotted/dotless i fold to plain "i", and the
Azerbaijani schwa to "e", so "Xankəndi" and "Xankendi" meet.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "fold_with_offsets"]

_SPECIAL = str.maketrans({"ı": "i", "İ": "i", "ə": "e", "Ə": "e", "ß": "ss"})


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.translate(_SPECIAL).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Return `text` case-folded, and accent-stripped (NFKD, marks dropped) for comparison."""
    return "".join(_fold_char(c) for c in unicodedata.normalize("NFC", text))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold `text` and map every folded character back to its index in `text`.

    Matching runs on the folded string; the offsets let it quote the form that actually
    appears in the report ("Laçın"), not the folded one ("lacin").
    """
    folded: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_char(char)
        folded.append(piece)
        offsets.extend([index] * len(piece))
    return "".join(folded), offsets
