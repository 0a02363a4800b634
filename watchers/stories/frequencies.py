"""How common each key is in the news lately: what makes a shared key count.

Two reports that share "Ganja", "raket" and "#28" are likely one story; two that share "said"
and "Armenia" are not. No language's stop words need listing: a key's weight is its inverse
document frequency over the reports seen lately, so the words every report has weigh nothing in
every language at once. Counts live in a fixed array indexed by a hash of the key (a count-min
sketch of one row): 2 MB however many distinct words arrive; a collision only makes a rare key
look a little more common. Counts are halved every `HALF_LIFE` reports, so "lately" means the
last few hundred thousand reports.
"""

from __future__ import annotations

import math
import zlib
from array import array
from collections.abc import Iterable

__all__ = ["HALF_LIFE", "Frequencies"]

_SLOTS = 1 << 19
HALF_LIFE = 100_000
"""Reports after which every count is halved."""
_PRIOR = 50
"""Reports counted as already seen, none with any key: until enough news has been read, every
key weighs about the same, rather than the first few reports' words weighing nothing."""


def _slot(key: str) -> int:
    # crc32, not hash(): the same weights in every process, so a benchmark's figures repeat
    return zlib.crc32(key.encode()) & (_SLOTS - 1)


class Frequencies:
    """Document frequencies of keys over the reports seen lately."""

    def __init__(self) -> None:
        self._counts = array("I", bytes(4 * _SLOTS))
        self.reports = 0

    def add(self, keys: Iterable[str]) -> None:
        """Count one report's distinct keys."""
        counts = self._counts
        for key in keys:
            counts[_slot(key)] += 1
        self.reports += 1
        if self.reports >= 2 * HALF_LIFE:
            self._halve()

    def _halve(self) -> None:
        self._counts = array("I", (count >> 1 for count in self._counts))
        self.reports >>= 1

    def weight(self, key: str) -> float:
        """The key's inverse document frequency: 0 for a key in every report, about
        log(reports) for one never seen."""
        seen = self._counts[_slot(key)]
        return max(0.0, math.log((self.reports + _PRIOR) / (seen + 1)))
