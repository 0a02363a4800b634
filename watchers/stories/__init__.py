"""Stories: reports of one event, across outlets, languages and scripts, grouped as they come.

- `keys`: a report's words as keys that meet across scripts and endings;
- `fingerprint`: what grouping reads of a report (`Fingerprint`, made by `PlaceFinder`);
- `frequencies`: how rare each key is lately, which decides what a shared key is worth;
- `book`: the open stories, and which one a new report joins (`StoryBook`).
"""

from watchers.stories.book import OPEN_FOR, REOPENED, StoryBook, Tuning
from watchers.stories.fingerprint import Fingerprint, PlaceFinder

__all__ = ["OPEN_FOR", "REOPENED", "Fingerprint", "PlaceFinder", "StoryBook", "Tuning"]
