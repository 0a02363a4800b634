"""What sources fetch, turned into plain `Report` records: RSS, RDF and Atom feeds, Google
News search feeds (`google_news`) and GDELT's answers (`gdelt`).

A fetched feed goes through `parse_feed` (`parse`): a light scan of the raw text for what
the parsers miss (`scan`), fastfeedparser (`fast`) with feedparser as the fallback (`full`),
both filling one record shape (`entries`) that `reports` maps to `Report`s whose fields keep
the bounds of `fields`.

This package is what the CPU worker loads to parse, so it loads no HTTP client (about 10 MB of
the worker's memory): the feed source, `FeedSource` (`watchers.feeds.source`, which fetches a
feed and parses it in the worker), and `watchers.feeds.catalog` (the curated outlets shipped in
`watchers/data/sources.toml`, as feed sources) are imported from their modules.

What comes out is bounded and plain: titles and outlet names are one line of text (markup
removed only where the text really is HTML, see `watchers.markup`), no field holds control
characters, and every field has a maximum length, whatever the document holds.
"""

from watchers.feeds.fields import (
    MAX_OUTLET_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    one_line,
    parse_date,
)
from watchers.feeds.gdelt import GdeltResult, parse_gdelt, tidy_title
from watchers.feeds.google_news import parse_google_news, split_publisher
from watchers.feeds.parse import FeedResult, parse_feed

__all__ = [
    "MAX_OUTLET_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_TITLE_LENGTH",
    "MAX_URL_LENGTH",
    "FeedResult",
    "GdeltResult",
    "one_line",
    "parse_date",
    "parse_feed",
    "parse_gdelt",
    "parse_google_news",
    "split_publisher",
    "tidy_title",
]
