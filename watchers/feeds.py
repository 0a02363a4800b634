"""RSS, RDF and Atom feeds turned into plain `Report` records.

Parsing tries fastfeedparser first: it is 15-60 times faster than feedparser on real feeds and
recovers broken documents (undeclared prefixes, garbled declarations) where feedparser finds
nothing. It does drop an element's text from the first HTML named entity on (`caf&eacute;s`
becomes `caf`), so such references (declared by the RSS 0.91 DTD, and common elsewhere) are
made numeric before either parser runs. feedparser is the fallback when fastfeedparser raises,
finds no entries, or returns titles that still carry CDATA markers (it garbles truncated
CDATA); the result that yields more reports wins. Neither library exposes everything alerts
need (`<ttl>`, the channel `<language>`, an item's `<source url="..." country="...">`), so a
light scan of the raw text supplies those and is matched back to entries by link or guid.

`parse_feed` never raises: a document that yields nothing comes back with `ok=False` and a
one-line error, so one broken source cannot stop the bot. What it returns is bounded and plain:
titles and outlet names are one line of text (markup removed only where the text really is HTML,
see `watchers.markup`), no field holds control characters, and every field has a maximum length,
whatever the document holds.
"""

from __future__ import annotations

import html
import html.entities
import logging
import re
import tomllib
from calendar import timegm
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from watchers.cpu import on_cpu
from watchers.fetch import fetch
from watchers.identity import canonical_url, domain_of, is_stable_guid, report_id
from watchers.markup import cut, html_to_text, looks_like_html, without_controls
from watchers.models import Collected, Report, SourceState

__all__ = [
    "FeedResult",
    "FeedSource",
    "load_sources",
    "one_line",
    "parse_date",
    "parse_feed",
]

logger = logging.getLogger(__name__)

MAX_TITLE_LENGTH = 1_000
"""Titles are cut here (alerts show less, see `bot.render`): a longer one is junk or hostile,
and every later step should work on bounded text."""
MAX_OUTLET_LENGTH = 200
MAX_TEXT_LENGTH = 100_000
"""An item's text before cleaning; alerts use its first paragraphs, storage 2,000 characters."""
MAX_URL_LENGTH = 2_048
"""Longer links and guids are ignored (the sitemaps protocol's limit for a URL; browsers and
servers refuse much longer ones)."""


@dataclass(slots=True)
class FeedResult:
    """What one fetched feed yielded; `ok=False` means nothing usable came out of it."""

    reports: list[Report]
    title: str = ""
    ttl_minutes: int | None = None
    ok: bool = True
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FeedSource:
    """An RSS/Atom feed the operator listed: fetched conditionally, its `<ttl>` honoured."""

    name: str
    url: str
    interval: float = 300.0
    language: str | None = None  # for reports whose feed does not say
    verified: bool = True  # False: a listed URL nobody has yet seen answer with a feed
    regional: bool = False  # an outlet of the region: see `Report.regional`
    kind = "feed"
    searches = False

    async def collect(
        self,
        client: httpx.AsyncClient,
        state: SourceState,
        terms: Sequence[str],
        now: datetime,
    ) -> Collected:
        """Fetch with the stored validators (a 304 means nothing new) and parse off the loop."""
        result = await fetch(client, self.url, state)
        if result.error:
            return Collected(error=result.error, retry_after=result.retry_after)
        if result.not_modified or result.body is None:
            return Collected(response=result)
        parsed = await on_cpu(parse_feed, result.body, source=self.name, feed_url=self.url)
        if not parsed.ok and not parsed.reports:
            return Collected(error=parsed.error or "not a feed")
        reports = [
            replace(r, language=r.language or self.language, regional=self.regional)
            for r in parsed.reports
        ]
        return Collected(reports, ttl_minutes=parsed.ttl_minutes, response=result)


@dataclass(slots=True)
class _Extras:
    """What the raw-text scan found for one item that the parsers do not report."""

    source_text: str = ""
    source_url: str = ""
    country: str | None = None
    language: str | None = None


@dataclass(slots=True)
class _Entry:
    """One item as either parser saw it, before it becomes a `Report`."""

    link: str
    guid: str
    title: str
    text: str
    published: datetime | None
    source_text: str = ""
    source_url: str = ""


@dataclass(slots=True)
class _Parsed:
    """One parser's view of the whole document."""

    title: str
    link: str
    language: str | None
    ttl: int | None
    entries: list[_Entry] = field(default_factory=list)


@dataclass(slots=True)
class _Scan:
    """Channel-level facts and per-item extras read from the raw text."""

    ttl: int | None = None
    language: str | None = None
    items: dict[str, _Extras] = field(default_factory=dict)


_ENCODING_DECL = re.compile(rb"""encoding\s*=\s*["']?([A-Za-z0-9._-]+)""")
_ITEM = re.compile(
    r"<(?:[\w.-]+:)?(item|entry)\b[^>]*>(.*?)</(?:[\w.-]+:)?\1\s*>", re.DOTALL | re.IGNORECASE
)
_FIRST_ITEM = re.compile(r"<(?:[\w.-]+:)?(?:item|entry)\b", re.IGNORECASE)
_TTL = re.compile(r"<(?:[\w.-]+:)?ttl\b[^>]*>\s*(\d+)\s*<", re.IGNORECASE)
_LANGUAGE = re.compile(r"<(?:[\w.-]+:)?language\b[^>]*>(.*?)</", re.DOTALL | re.IGNORECASE)
_XML_LANG = re.compile(r"""\bxml:lang\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_LINK_TEXT = re.compile(
    r"<(?:[\w.-]+:)?link\b[^>]*>(.*?)</(?:[\w.-]+:)?link\s*>", re.DOTALL | re.IGNORECASE
)
_LINK_HREF = re.compile(
    r"""<(?:[\w.-]+:)?link\b[^>]*\bhref\s*=\s*["']([^"']+)["']""", re.IGNORECASE
)
_GUID = re.compile(
    r"<(?:[\w.-]+:)?(guid|id)\b[^>]*>(.*?)</(?:[\w.-]+:)?\1\s*>", re.DOTALL | re.IGNORECASE
)
_SOURCE = re.compile(
    r"<(?:[\w.-]+:)?source\b([^>]*)>(.*?)</(?:[\w.-]+:)?source\s*>", re.DOTALL | re.IGNORECASE
)
_INNER_TITLE = re.compile(r"<(?:[\w.-]+:)?title\b[^>]*>(.*?)</", re.DOTALL | re.IGNORECASE)
_ATTR = re.compile(r"""(?:[\w.-]+:)?(\w+)\s*=\s*["']?([^"'\s>]+)""")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|$)", re.DOTALL)
_CODE = re.compile(r"[A-Za-z]{2,3}")  # a language or country code
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: "²" is a digit to str.isdigit(), not to int()
_GARBLED = ("<![", "]]>", "![CD")
_HTML_ENTITY = rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});"
"""A named entity reference other than the five XML defines itself."""
_HAS_HTML_ENTITY = re.compile(_HTML_ENTITY)
_HTML_ENTITY_OR_CDATA = re.compile(rb"<!\[CDATA\[.*?(?:\]\]>|$)|" + _HTML_ENTITY, re.DOTALL)


def one_line(value: str | None, limit: int = MAX_TITLE_LENGTH) -> str:
    """Return `value` as one line of plain text of at most `limit` characters.

    CDATA markers go. Text that really is HTML (`watchers.markup.looks_like_html`) loses its tags
    and has its entities decoded, tags first, so an escaped `&lt;` stays a literal `<`; any other
    text is kept as written, so `Ceasefire <violations> & shelling` keeps every word.
    """
    if not value:
        return ""
    value = _CDATA.sub(r"\1", value)
    if looks_like_html(value):
        value = html_to_text(value)
    return cut(" ".join(without_controls(value).split()), limit)


def parse_date(value: str | None) -> datetime | None:
    """Parse an RFC 822 or ISO 8601 date into an aware UTC datetime, or None.

    RFC 822 parsing ignores the weekday and accepts lowercase months ("Wed, 19 jan 2026"), which
    real feeds get wrong. No zone means UTC. A date past year 9999 in UTC is the latest one."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    try:  # in UTC, "31 Dec 9999 23:00 -0500" is in year 10000 and "1 Jan 1 +0500" in year 0
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC) if parsed.year == datetime.max.year else None


def _language_code(value: str | None) -> str | None:
    """Reduce a language tag to its primary subtag: "en-gb" -> "en"."""
    if not value:
        return None
    primary = re.split(r"[-_\s]", value.strip(), maxsplit=1)[0]
    return primary.lower() if _CODE.fullmatch(primary) else None


def _decode(body: bytes) -> str:
    """Decode the raw document for the extras scan, honouring a declared encoding."""
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", errors="replace")
    declared = _ENCODING_DECL.search(body[:512])
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return body.decode(encoding, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _numeric_entity(match: re.Match[bytes]) -> bytes:
    """`&eacute;` -> `&#233;`; CDATA sections and unknown names stay as they are."""
    codepoint = html.entities.name2codepoint.get((match.group(1) or b"").decode("ascii"))
    return match.group(0) if codepoint is None else b"&#%d;" % codepoint


def _numeric_entities(body: bytes) -> bytes:
    """Turn HTML named entities outside CDATA into numeric ones that any XML parser knows."""
    if not _HAS_HTML_ENTITY.search(body):
        return body
    return _HTML_ENTITY_OR_CDATA.sub(_numeric_entity, body)


def _raw(value: str) -> str:
    """Text of an element as the parsers would give it: CDATA unwrapped, entities decoded."""
    return html.unescape(_CDATA.sub(r"\1", value)).strip()


def _item_extras(block: str) -> tuple[list[str], _Extras]:
    """Read one item's keys (link, guid) and its extras from its raw text."""
    extras = _Extras()
    source = _SOURCE.search(block)
    if source:
        attrs = {name.lower(): value for name, value in _ATTR.findall(source.group(1))}
        inner = source.group(2)
        inner_title = _INNER_TITLE.search(inner) if "<" in _CDATA.sub("", inner) else None
        extras.source_text = one_line(inner_title.group(1) if inner_title else inner)
        extras.source_url = html.unescape(attrs.get("url", ""))
        country = attrs.get("country", "").strip()
        extras.country = country.upper() if _CODE.fullmatch(country) else None
    block_without_source = _SOURCE.sub("", block)
    language = _LANGUAGE.search(block_without_source)
    extras.language = _language_code(_raw(language.group(1))) if language else None
    keys = [_raw(m.group(1)) for m in _LINK_TEXT.finditer(block_without_source)]
    keys += [html.unescape(m.group(1)).strip() for m in _LINK_HREF.finditer(block_without_source)]
    keys += [_raw(m.group(2)) for m in _GUID.finditer(block_without_source)]
    return [key for key in keys if key], extras


def _scan(text: str) -> _Scan:
    """Find `<ttl>`, the channel language and per-item extras in the raw document."""
    scan = _Scan()
    first_item = _FIRST_ITEM.search(text)
    head = text[: first_item.start()] if first_item else text
    ttl = _TTL.search(head)
    if ttl:
        scan.ttl = int(ttl.group(1)) or None
    language = _LANGUAGE.search(head) or _XML_LANG.search(head)
    scan.language = _language_code(_raw(language.group(1))) if language else None
    for match in _ITEM.finditer(text):
        keys, extras = _item_extras(match.group(2))
        for key in keys:
            scan.items.setdefault(key, extras)
    return scan


def _from_fastfeedparser(body: bytes) -> _Parsed:
    import fastfeedparser  # here, not at the top: see `parse_feed`

    parsed = fastfeedparser.parse(
        body, include_tags=False, include_media=False, include_enclosures=False
    )
    feed = parsed.get("feed", {})
    entries = []
    for entry in parsed.get("entries", []):
        content = entry.get("content") or []
        text = (content[0].get("value") if content else None) or entry.get("description")
        entries.append(
            _Entry(
                link=(entry.get("link") or "").strip(),
                guid=(entry.get("id") or "").strip(),
                title=entry.get("title") or "",
                text=(text or "").strip(),
                published=parse_date(entry.get("published") or entry.get("updated")),
            )
        )
    return _Parsed(
        title=feed.get("title") or "",
        link=feed.get("link") or "",
        language=_language_code(feed.get("language")),
        ttl=None,
        entries=entries,
    )


def _struct_to_datetime(value: Any) -> datetime | None:
    return datetime.fromtimestamp(timegm(value), tz=UTC) if value else None


def _from_feedparser(body: bytes) -> tuple[_Parsed, str | None]:
    """Parse with feedparser; the second value is its complaint about a malformed document.

    Its sanitizer is off: it drops tag-shaped words from plain text (`<violations>`), and the
    text is made plain later anyway, telling HTML from plain text first (`watchers.markup`).
    """
    import feedparser  # here, not at the top: see `parse_feed`

    parsed = feedparser.parse(body, sanitize_html=False)
    feed = parsed.get("feed", {})
    entries = []
    for entry in parsed.get("entries", []):
        content = entry.get("content") or []
        text = (content[0].get("value") if content else None) or entry.get("summary")
        published = _struct_to_datetime(
            entry.get("published_parsed") or entry.get("updated_parsed")
        ) or parse_date(entry.get("published") or entry.get("updated"))
        source = entry.get("source") or {}
        entries.append(
            _Entry(
                link=(entry.get("link") or "").strip(),
                guid=(entry.get("id") or "").strip(),
                title=entry.get("title") or "",
                text=(text or "").strip(),
                published=published,
                source_text=source.get("title") or "",
                source_url=source.get("href") or "",
            )
        )
    ttl = feed.get("ttl")
    complaint = None
    problem = parsed.get("bozo_exception")
    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    if parsed.get("bozo") and not isinstance(problem, harmless):
        complaint = _one_line(str(problem or "malformed document"))
    elif not parsed.get("version"):
        complaint = "not an RSS, RDF or Atom document"
    return (
        _Parsed(
            title=feed.get("title") or "",
            link=feed.get("link") or "",
            language=_language_code(feed.get("language")),
            ttl=int(ttl) if isinstance(ttl, str) and _DIGITS.fullmatch(ttl.strip()) else None,
            entries=entries,
        ),
        complaint,
    )


def _one_line(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[0][:200] if lines else ""


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


def _to_reports(
    parsed: _Parsed,
    scan: _Scan,
    *,
    source: str,
    feed_url: str,
    domain_from_source: bool,
) -> list[Report]:
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
        extras = scan.items.get(entry.link) or scan.items.get(entry.guid) or _Extras()
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


def _looks_garbled(parsed: _Parsed) -> bool:
    """fastfeedparser leaves CDATA debris in titles of truncated documents."""
    return any(marker in entry.title for entry in parsed.entries for marker in _GARBLED)


def _parse(body: bytes, *, source: str, feed_url: str, domain_from_source: bool) -> FeedResult:
    scan = _scan(_decode(body))
    body = _numeric_entities(body)
    convert = {"source": source, "feed_url": feed_url, "domain_from_source": domain_from_source}
    fast: _Parsed | None = None
    fast_error: str | None = None
    try:
        fast = _from_fastfeedparser(body)
    except Exception as exc:  # noqa: BLE001 - any fastfeedparser failure means "try feedparser"
        fast_error = _one_line(str(exc)) or type(exc).__name__
    if fast is not None and fast.entries and not _looks_garbled(fast):
        reports = _to_reports(fast, scan, **convert)
        return FeedResult(reports, one_line(fast.title, MAX_OUTLET_LENGTH), scan.ttl)

    slow, complaint = _from_feedparser(body)
    slow_reports = _to_reports(slow, scan, **convert)
    fast_reports = _to_reports(fast, scan, **convert) if fast is not None else []
    use_fast = fast is not None and len(fast_reports) > len(slow_reports)
    chosen, reports = (fast, fast_reports) if use_fast else (slow, slow_reports)
    title = one_line(chosen.title, MAX_OUTLET_LENGTH) or one_line(slow.title, MAX_OUTLET_LENGTH)
    ttl = scan.ttl or slow.ttl
    if reports or (fast is not None and complaint is None):
        return FeedResult(reports, title, ttl)
    error = complaint or fast_error or "no feed found"
    return FeedResult([], title, ttl, ok=False, error=f"malformed feed: {error}")


def parse_feed(
    body: bytes, *, source: str, feed_url: str, domain_from_source: bool = False
) -> FeedResult:
    """Turn a fetched RSS/RDF/Atom document into reports; never raises.

    `domain_from_source` takes each report's domain from the item's `<source url=...>`
    instead of its link, for aggregators (Google News) whose links all point at themselves.
    It runs in the CPU worker (`watchers.cpu`), which alone imports the two parsers: the bot's
    process need not hold them.
    """
    if not body or not body.strip():
        return FeedResult([], ok=False, error="empty response")
    try:
        return _parse(body, source=source, feed_url=feed_url, domain_from_source=domain_from_source)
    except Exception as exc:  # noqa: BLE001 - a broken feed must never stop the poller
        logger.warning("feed %s from %s could not be parsed", source, domain_of(feed_url))
        return FeedResult([], ok=False, error=f"parse error: {type(exc).__name__}")


def _source_from_table(table: dict[str, Any], interval: float) -> FeedSource:
    name, url = table.get("name"), table.get("url")
    if not isinstance(name, str) or not isinstance(url, str) or not name or not url:
        raise ValueError(f"feed entry needs a name and a url: {table!r}")
    language = table.get("language")
    return FeedSource(
        name=name,
        url=url,
        interval=interval,
        language=language if isinstance(language, str) and language else None,
        verified=bool(table.get("verified", False)),
        regional=table.get("regional") is True,
    )


def load_sources(path: Path | None = None, *, interval: float = 300.0) -> list[FeedSource]:
    """Load the curated feed list (the packaged `watchers/data/sources.toml` by default)."""
    if path is None:
        raw = resources.files("watchers").joinpath("data/sources.toml").read_text("utf-8")
    else:
        raw = path.read_text("utf-8")
    tables: Iterable[dict[str, Any]] = tomllib.loads(raw).get("feed", [])
    return [_source_from_table(table, interval) for table in tables]
