"""Entries become `Report`s: absolute http(s) links, one identity each, the scan's extras added.

An entry without a usable link or a stable guid identifies nothing and is dropped, and so is a
second entry of the same identity. What the raw-text scan found for an item (its `<source>`,
country and language) wins over what the parser saw, and a feed's title names the outlet of
items that name none.
"""

from __future__ import annotations

from urllib.parse import urljoin

from watchers.feeds.entries import Parsed
from watchers.feeds.fields import MAX_OUTLET_LENGTH, MAX_TEXT_LENGTH, MAX_URL_LENGTH, one_line
from watchers.feeds.scan import Extras, Scan
from watchers.identity import canonical_url, domain_of, is_stable_guid, report_id
from watchers.markup import cut, without_controls
from watchers.models import Report

__all__ = ["to_reports"]


def _http_link(link: str, base: str) -> str:
    """Absolutise `link` against `base`; return "" unless the result is an http(s) URL with a host
    `urlsplit` can read, of at most MAX_URL_LENGTH characters."""
    if not link or len(link) > MAX_URL_LENGTH:
        return ""
    absolute = link[:8].lower().startswith(("http://", "https://"))
    try:
        joined = urljoin(base, link) if base and not absolute else link
    except ValueError:  # urlsplit cannot read it (an unclosed IPv6 bracket)
        return ""
    if len(joined) > MAX_URL_LENGTH or not joined.lower().startswith(("http://", "https://")):
        return ""
    return joined if domain_of(joined) else ""


def to_reports(
    parsed: Parsed,
    scan: Scan,
    *,
    source: str,
    feed_url: str,
    domain_from_source: bool,
) -> list[Report]:
    """The reports of one parser's view of a document, with what the scan found added."""
    base = _http_link(parsed.link, feed_url) or feed_url
    feed_title = one_line(parsed.title, MAX_OUTLET_LENGTH)
    language = scan.language or parsed.language
    reports: list[Report] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        if len(entry.guid) > MAX_URL_LENGTH:
            entry.guid = ""
        url = _http_link(entry.link, base)
        if not url and _http_link(entry.guid, "") and is_stable_guid(entry.guid):
            url = entry.guid
        canonical = canonical_url(url) if url else ""
        ident = canonical or report_id("", entry.guid, is_stable_guid(entry.guid))
        if not ident or ident in seen:
            continue
        seen.add(ident)
        extras = scan.items.get(entry.link) or scan.items.get(entry.guid) or Extras()
        source_text = one_line(extras.source_text or entry.source_text, MAX_OUTLET_LENGTH)
        source_url = extras.source_url or entry.source_url
        domain = domain_of(source_url) if domain_from_source and source_url else ""
        reports.append(
            Report(
                id=ident,
                url=url,
                canonical_url=canonical,
                title=one_line(entry.title),
                text=cut(without_controls(entry.text), MAX_TEXT_LENGTH),
                published=entry.published,
                outlet=source_text or feed_title,
                domain=domain or domain_of(url),
                language=extras.language or language,
                country=extras.country,
                source=source,
            )
        )
    return reports
