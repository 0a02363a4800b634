"""Handwritten RSS 2.0 feeds, for the feed server to hand the bot in tests and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Item:
    """One item of a handwritten RSS feed served to the bot in tests."""

    title: str
    link: str
    description: str = ""
    published: datetime | None = None


def make_rss(items: list[Item], *, title: str = "Caucasus Test Wire") -> bytes:
    """An RSS 2.0 document with the given items, newest first as feeds list them."""
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f'<guid isPermaLink="true">{escape(i.link)}</guid>'
        f"<description>{escape(i.description)}</description>"
        f"<pubDate>{format_datetime(i.published or datetime.now(UTC))}</pubDate></item>"
        for i in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title>"
        f"<link>https://wire.test/</link><description>test</description>{entries}</channel></rss>"
    ).encode()
