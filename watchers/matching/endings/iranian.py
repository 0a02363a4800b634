"""Ending rules of the Iranian languages: Persian."""

from __future__ import annotations

from watchers.matching.endings.base import Language, by_rules

__all__ = ["PERSIAN"]

# Persian: plural -ها/-های (written with or without the zero-width non-joiner), the ezafe and
# indefinite -ی/-ای/-یی, the people's plural -ان/-یان. Arabic script writes short words tightly:
# names take endings from 3 letters on, as in Arabic.
PERSIAN = Language(
    by_rules((("", ("", "ی", "ای", "یی", "ها", "های", "هایی", "ان", "یان", "اش", "ش")),)),
    shortest=3,
)
