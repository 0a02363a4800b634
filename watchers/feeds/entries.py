"""One shape for what either parser saw, so the mapping to reports knows no parser.

Both back-ends (`fast`, `full`) fill these records; `reports` turns them into `Report`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Entry", "Parsed"]


@dataclass(slots=True)
class Entry:
    """One item as either parser saw it, before it becomes a `Report`."""

    link: str
    guid: str
    title: str
    text: str
    published: datetime | None
    source_text: str = ""
    source_url: str = ""


@dataclass(slots=True)
class Parsed:
    """One parser's view of the whole document."""

    title: str
    link: str
    language: str | None
    ttl: int | None
    entries: list[Entry] = field(default_factory=list)
