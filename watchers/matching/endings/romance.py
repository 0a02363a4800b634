"""Ending rules of the Romance languages: French."""

from __future__ import annotations

from watchers.matching.endings.base import Language, by_rules

__all__ = ["FRENCH"]

# French: names do not decline; demonyms and adjectives take gender and number.
FRENCH = Language(
    by_rules(
        (
            ("ien", ("ien", "ienne", "iens", "iennes")),  # arménien -> arméniennes
            ("ais", ("ais", "aise", "aises")),  # azerbaïdjanais -> azerbaïdjanaise
            ("", ("",)),
        )
    )
)
