"""RSS, RDF and Atom feeds turned into plain `Report` records, and the feed source that polls them.

A fetched document goes through `parse_feed` (`parse`): a light scan of the raw text for what
the parsers miss (`scan`), fastfeedparser (`fast`) with feedparser as the fallback (`full`),
both filling one record shape (`entries`) that `reports` maps to `Report`s whose fields keep
the bounds of `fields`. `FeedSource` (`source`) fetches a feed and parses it in the CPU worker;
`catalog` loads the curated list of outlets shipped in `watchers/data/sources.toml`.

What comes out is bounded and plain: titles and outlet names are one line of text (markup
removed only where the text really is HTML, see `watchers.markup`), no field holds control
characters, and every field has a maximum length, whatever the document holds.
"""

from watchers.feeds.catalog import SAMPLE_FEED, load_sources
from watchers.feeds.fields import (
    MAX_OUTLET_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    one_line,
    parse_date,
)
from watchers.feeds.parse import FeedResult, parse_feed
from watchers.feeds.source import FeedSource

__all__ = [
    "MAX_OUTLET_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_TITLE_LENGTH",
    "MAX_URL_LENGTH",
    "SAMPLE_FEED",
    "FeedResult",
    "FeedSource",
    "load_sources",
    "one_line",
    "parse_date",
    "parse_feed",
]
