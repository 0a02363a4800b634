"""Ending rules of the Kartvelian languages: Georgian."""

from __future__ import annotations

from watchers.matching.endings.base import Language, by_rules

__all__ = ["GEORGIAN"]

# Georgian: the nominative -ი drops before most case endings (ყარაბაღი -> ყარაბაღის).
GEORGIAN = Language(
    by_rules(
        (
            ("ი", ("ი", "ის", "ში", "ს", "მა", "ით", "იდან", "ზე", "თან", "ისთვის", "ელი", "ელმა")),
            ("ა", ("ა", "ის", "აში", "ას", "ამ", "ით", "იდან", "აზე", "ასთან")),
            ("", ("", "ის", "ში", "ს", "მა", "ით", "იდან", "ზე")),
        )
    )
)
