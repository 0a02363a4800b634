"""What story grouping reads of a report: when, from whom, in which language, and its keys.

A fingerprint is made once per report in the CPU worker, from its title and text: the places it
names (by the alias book, so "Gəncə", "Гянджа" and "Ganja" are one place, `@Ganja`), and its
words as `watchers.stories.keys` writes them. How much each key says is decided later, by how
rare it is in the news of the day (`watchers.stories.frequencies`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from watchers.feeds.fields import language_code
from watchers.matching import AliasBook, Matcher
from watchers.models import Report
from watchers.stories.keys import word_keys

__all__ = ["Fingerprint", "PlaceFinder"]

PLACE = "@"
"""The prefix of a place's key: "@Ganja" can never be a word's key."""


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """One report as story grouping reads it. `at`: POSIX seconds of its date (or of when it
    was first seen); `outlet`: who published it (the domain where known); `keys`: its places'
    and words' keys, each once, the title's first."""

    report_id: str
    at: float
    outlet: str
    language: str
    keys: tuple[str, ...]

    @property
    def places(self) -> tuple[str, ...]:
        """The places it names, by their alias group's name."""
        return tuple(k[len(PLACE) :] for k in self.keys if k.startswith(PLACE))


class PlaceFinder:
    """Finds the places a report names, with the keyword matcher's rules (every spelling and
    ending, ambiguous names only in the region's context), one watch per alias group."""

    def __init__(self, aliases: AliasBook) -> None:
        names = [group.name for group in aliases.groups]
        self._matcher = Matcher.build(enumerate(names), aliases)

    def places(self, report: Report) -> tuple[list[str], set[str]]:
        """The names of the alias groups `report` names, in the book's order, and the keys of
        the words it names them with."""
        found = self._matcher.match(report.title, report.text, regional=report.regional)
        names = [raw for f in found for _, raw in f.holders]
        return names, {k for f in found for k in word_keys(f.form)}

    def fingerprint(self, report: Report, first_seen: datetime) -> Fingerprint:
        """`report` as story grouping reads it: a place's spellings are its place key alone,
        so that two reports that share only a place share no word."""
        when = report.published or first_seen
        names, spelled = self.places(report)
        words = [k for k in word_keys(report.title) + word_keys(report.text) if k not in spelled]
        keys = dict.fromkeys([PLACE + name for name in names] + words)
        return Fingerprint(
            report_id=report.id,
            at=when.timestamp(),
            outlet=report.domain or report.outlet or report.source,
            language=language_code(report.language) or "",
            keys=tuple(keys),
        )

    def fingerprints(self, reports: Sequence[Report], first_seen: datetime) -> list[Fingerprint]:
        """Each report's fingerprint, in order."""
        return [self.fingerprint(report, first_seen) for report in reports]
