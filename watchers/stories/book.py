"""The open stories, and which one each new report joins: the grouping itself.

A story is open while reports of it keep coming: a report joins an open story when it is about
as close in time (`Tuning.window`) and close enough in content to one of the story's reports
(`similarity`), or else opens a story of its own. Content is compared as weighted keys (places,
words, numbers; `watchers.stories.keys`), each weighted by how rare it is lately
(`watchers.stories.frequencies`), by cosine. Reports in two languages share fewer keys than two
in one, so their bar is lower (`Tuning.across`); an outlet rarely reports one event twice, so a
story that already has the report's outlet asks for more (`Tuning.same_outlet`).

Only stories that share a rare key with the report are compared (an index of each story's
rarest keys), so the cost of a report does not grow with the number of open stories. Memory is
bounded: at most `Tuning.open` stories, each with at most `Tuning.kept` of its reports, each of
those as its `Tuning.keys` rarest keys.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from watchers.stories.fingerprint import PLACE, Fingerprint
from watchers.stories.frequencies import Frequencies

__all__ = ["OPEN_FOR", "REOPENED", "StoryBook", "Tuning"]

_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Tuning:
    """The grouping's settings, chosen on the labelled reports of `bench/data/stories.toml`
    for precision first: a merge of two events hides one of them, a split only costs an alert
    (see docs/performance.md for what these give)."""

    join: float = 0.30
    across: float = 0.10
    same_outlet: float = 0.10
    window: float = 36 * _HOUR
    place: float = 1.0
    words: int = 2
    keys: int = 40
    indexed: int = 16
    compared: int = 24
    kept: int = 6
    open: int = 10_000


@dataclass(frozen=True, slots=True)
class _Vector:
    """A fingerprint's keys with their weights, and its length for the cosine."""

    print: Fingerprint
    weights: dict[str, float]
    norm: float


OPEN_FOR = timedelta(seconds=2 * Tuning().window)
"""A story that has not grown for this long is closed: no report that late could join it."""
REOPENED = 2 * Tuning().open
"""The most stored reports a new book reopens its stories from (the newest)."""


@dataclass(slots=True)
class _Story:
    id: str
    first: float
    last: float
    outlets: set[str]
    kept: list[_Vector] = field(default_factory=list)
    indexed: set[str] = field(default_factory=set)


def similarity(a: _Vector, b: _Vector, words: int = 0) -> float:
    """The cosine of two reports' weighted keys; 0 when they share fewer than `words` keys
    that are not places (a place and a day alone are not an event)."""
    small, large = (a, b) if len(a.weights) <= len(b.weights) else (b, a)
    common = [k for k in small.weights if k in large.weights]
    if sum(not k.startswith(PLACE) for k in common) < words:
        return 0.0
    shared = sum(small.weights[k] * large.weights[k] for k in common)
    return shared / (a.norm * b.norm)


class StoryBook:
    """Open stories, grouped as reports arrive; `assign` says which story each report is in."""

    def __init__(self, tuning: Tuning | None = None) -> None:
        self.tuning = tuning or Tuning()
        self.frequencies = Frequencies()
        self._stories: dict[str, _Story] = {}  # in the order they last grew
        self._index: defaultdict[str, set[str]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._stories)

    def assign(self, prints: Sequence[Fingerprint]) -> list[str]:
        """The story of each report, in order: an open story's id, or the report's own id for
        a report that opens one. Reports of one batch are counted in the frequencies first, so
        the first batch after a start already knows its common words."""
        for fp in prints:
            self.frequencies.add(fp.keys)
        order = sorted(range(len(prints)), key=lambda i: prints[i].at)
        stories = [""] * len(prints)
        for i in order:
            stories[i] = self._place(self._vector(prints[i]))
        self._evict()
        return stories

    def _vector(self, fp: Fingerprint) -> _Vector:
        weight = self.frequencies.weight
        place = self.tuning.place
        weights = {k: weight(k) * (place if k.startswith(PLACE) else 1.0) for k in fp.keys}
        kept = heapq.nlargest(self.tuning.keys, weights.items(), key=lambda kv: kv[1])
        weights = {k: w for k, w in kept if w > 0}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return _Vector(replace(fp, keys=()), weights, norm)  # its keys are in `weights`

    def _candidates(self, vector: _Vector) -> list[_Story]:
        """The open stories that share the most weight of the report's rarest keys."""
        tuning = self.tuning
        rare = heapq.nlargest(tuning.indexed, vector.weights.items(), key=lambda kv: kv[1])
        shared: defaultdict[str, float] = defaultdict(float)
        for key, weight in rare:
            for story in self._index.get(key, ()):
                shared[story] += weight
        best = heapq.nlargest(tuning.compared, shared.items(), key=lambda kv: kv[1])
        return [self._stories[story] for story, _ in best]

    def _score(self, vector: _Vector, story: _Story) -> float:
        """How far `vector` clears the bar to join `story` (negative: it does not)."""
        tuning = self.tuning
        fp = vector.print
        if fp.at < story.first - tuning.window or fp.at > story.last + tuning.window:
            return -1.0
        extra = tuning.same_outlet if fp.outlet in story.outlets else 0.0
        best = -1.0
        for kept in story.kept:
            bar = (tuning.join if kept.print.language == fp.language else tuning.across) + extra
            best = max(best, similarity(vector, kept, tuning.words) - bar)
        return best

    def _place(self, vector: _Vector) -> str:
        scored = [(self._score(vector, story), story) for story in self._candidates(vector)]
        score, story = max(scored, key=lambda pair: pair[0], default=(-1.0, None))
        return self._grow(
            vector.print.report_id if story is None or score < 0 else story.id, vector
        )

    def _grow(self, story_id: str, vector: _Vector) -> str:
        """Add the report to the story `story_id` (opened if not open), which moves to the end:
        the order is that of last growth. Its vector is kept with the story (the first ones and
        the latest, at most `kept`), and the story indexed under the report's rarest keys."""
        fp = vector.print
        story = self._stories.pop(story_id, None) or _Story(story_id, fp.at, fp.at, set())
        self._stories[story_id] = story
        story.first, story.last = min(story.first, fp.at), max(story.last, fp.at)
        story.outlets.add(fp.outlet)
        if len(story.kept) >= self.tuning.kept:
            story.kept.pop(1)  # the story's first report stays: it defines the story
        story.kept.append(vector)
        rare = heapq.nlargest(self.tuning.indexed, vector.weights.items(), key=lambda kv: kv[1])
        for key, _ in rare:
            if key not in story.indexed:
                story.indexed.add(key)
                self._index[key].add(story.id)
        return story_id

    def _evict(self) -> None:
        """Close the stories that have not grown for twice the window (`OPEN_FOR` by default)
        before the newest report, and the least recently grown beyond `Tuning.open`."""
        if not self._stories:
            return
        newest = max(story.last for story in self._stories.values())
        closing: list[_Story] = []
        excess = len(self._stories) - self.tuning.open
        for story in self._stories.values():
            if excess > 0 or story.last < newest - 2 * self.tuning.window:
                closing.append(story)
                excess -= 1
            else:
                break
        for story in closing:
            self._close(story)

    def _close(self, story: _Story) -> None:
        del self._stories[story.id]
        for key in story.indexed:
            holders = self._index[key]
            holders.discard(story.id)
            if not holders:
                del self._index[key]

    def restore(self, groups: Iterable[tuple[str, Fingerprint]]) -> None:
        """Reopen stories from stored reports: (story id, fingerprint), oldest first."""
        for story_id, fp in groups:
            self.frequencies.add(fp.keys)
            self._grow(story_id, self._vector(fp))
        self._evict()
