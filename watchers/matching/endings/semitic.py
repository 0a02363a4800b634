"""Ending rules of the Semitic languages: Arabic, with the prefixes its script writes on a word.

Arabic script writes short words tightly: its names take endings from 3 letters on, and the
definite article and the one-letter prepositions and conjunctions are written onto the word they
precede, so the matcher also reads a word of the script without them (`ARABIC_PREFIXES`).
"""

from __future__ import annotations

import re

from watchers.matching.endings.base import Language, by_rules
from watchers.matching.normalize import NORMALIZE

__all__ = ["ARABIC", "ARABIC_PREFIXES", "ARABIC_SCRIPT"]

# The nisba adjective (-ي, fem. -ية read as -يه, pl. -يين/-يون) and the feminine and plural
# endings.
ARABIC = Language(
    by_rules((("", ("", "ي", "يه", "يين", "يون", "ه", "ين", "ون", "ات")),)),
    shortest=3,
)

# Written before a word in Arabic script: the article, و "and", ف "so", ب "in/by", ل "for",
# ك "as", and their combinations (بالقرب, وال...). Each as matching reads it.
ARABIC_PREFIXES = tuple(
    NORMALIZE(prefix)
    for prefix in (
        "وال", "بال", "فال", "كال", "ولل", "وب", "ول", "وك", "فب", "فل", "ال", "لل",
        "و", "ف", "ب", "ل", "ك",
    )
)  # fmt: skip
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
