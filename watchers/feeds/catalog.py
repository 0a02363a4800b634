"""The feeds shipped in `watchers/data`: the curated list of outlets and the dry run's sample.

`sources.toml` lists the regional outlets polled by default (`NEWSWATCH_DEFAULT_SOURCES`), each
a `[[feed]]` table with a name and a URL, and optionally its language, its country, whether it
was seen to answer with a feed (`verified`) and whether it is an outlet of the region
(`regional`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from watchers.feeds.fields import CODE
from watchers.feeds.source import FeedSource

__all__ = ["SAMPLE_FEED", "load_sources"]

SAMPLE_FEED = Path(__file__).resolve().parent.parent / "data" / "sample_feed.xml"
"""Invented stories shipped for the dry run, so a first `newswatch` shows alerts offline."""


def _source_from_table(table: dict[str, Any], interval: float) -> FeedSource:
    name, url = table.get("name"), table.get("url")
    if not isinstance(name, str) or not isinstance(url, str) or not name or not url:
        raise ValueError(f"feed entry needs a name and a url: {table!r}")
    language, country = table.get("language"), table.get("country")
    if country is not None and not (isinstance(country, str) and CODE.fullmatch(country)):
        raise ValueError(f"feed {name!r}: country must be a country code such as AZ: {country!r}")
    return FeedSource(
        name=name,
        url=url,
        interval=interval,
        language=language if isinstance(language, str) and language else None,
        verified=bool(table.get("verified", False)),
        regional=table.get("regional") is True,
        country=country.upper() if country else None,
    )


def load_sources(path: Path | None = None, *, interval: float = 300.0) -> list[FeedSource]:
    """Load the curated feed list (the packaged `watchers/data/sources.toml` by default)."""
    if path is None:
        raw = resources.files("watchers").joinpath("data/sources.toml").read_text("utf-8")
    else:
        raw = path.read_text("utf-8")
    tables: Iterable[dict[str, Any]] = tomllib.loads(raw).get("feed", [])
    return [_source_from_table(table, interval) for table in tables]
