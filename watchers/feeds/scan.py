"""The raw document, read without a parser: what neither parser reports, and entities they drop.

Neither parser exposes everything alerts need (`<ttl>`, the channel `<language>`, an item's
`<source url="..." country="...">`), so a light scan of the raw text supplies those, keyed by
each item's links and guids so they can be matched back to the parsed entries. fastfeedparser
drops an element's text from the first HTML named entity on (`caf&eacute;s` becomes `caf`), so
such references (declared by the RSS 0.91 DTD, and common elsewhere) are made numeric before
either parser runs.
"""

from __future__ import annotations

import html
import html.entities
import re
from dataclasses import dataclass, field

from watchers.feeds.fields import CDATA, CODE, language_code, one_line

__all__ = ["Extras", "Scan", "numeric_entities", "scan_document"]


@dataclass(slots=True)
class Extras:
    """What the raw-text scan found for one item that the parsers do not report."""

    source_text: str = ""
    source_url: str = ""
    country: str | None = None
    language: str | None = None


@dataclass(slots=True)
class Scan:
    """Channel-level facts and per-item extras read from the raw text."""

    ttl: int | None = None
    language: str | None = None
    items: dict[str, Extras] = field(default_factory=dict)


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
_HTML_ENTITY = rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});"
"""A named entity reference other than the five XML defines itself."""
_HAS_HTML_ENTITY = re.compile(_HTML_ENTITY)
_HTML_ENTITY_OR_CDATA = re.compile(rb"<!\[CDATA\[.*?(?:\]\]>|$)|" + _HTML_ENTITY, re.DOTALL)


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


def numeric_entities(body: bytes) -> bytes:
    """Turn HTML named entities outside CDATA into numeric ones that any XML parser knows."""
    if not _HAS_HTML_ENTITY.search(body):
        return body
    return _HTML_ENTITY_OR_CDATA.sub(_numeric_entity, body)


def _raw(value: str) -> str:
    """Text of an element as the parsers would give it: CDATA unwrapped, entities decoded."""
    return html.unescape(CDATA.sub(r"\1", value)).strip()


def _item_extras(block: str) -> tuple[list[str], Extras]:
    """Read one item's keys (link, guid) and its extras from its raw text."""
    extras = Extras()
    source = _SOURCE.search(block)
    if source:
        attrs = {name.lower(): value for name, value in _ATTR.findall(source.group(1))}
        inner = source.group(2)
        inner_title = _INNER_TITLE.search(inner) if "<" in CDATA.sub("", inner) else None
        extras.source_text = one_line(inner_title.group(1) if inner_title else inner)
        extras.source_url = html.unescape(attrs.get("url", ""))
        country = attrs.get("country", "").strip()
        extras.country = country.upper() if CODE.fullmatch(country) else None
    block_without_source = _SOURCE.sub("", block)
    language = _LANGUAGE.search(block_without_source)
    extras.language = language_code(_raw(language.group(1))) if language else None
    keys = [_raw(m.group(1)) for m in _LINK_TEXT.finditer(block_without_source)]
    keys += [html.unescape(m.group(1)).strip() for m in _LINK_HREF.finditer(block_without_source)]
    keys += [_raw(m.group(2)) for m in _GUID.finditer(block_without_source)]
    return [key for key in keys if key], extras


def scan_document(body: bytes) -> Scan:
    """Find `<ttl>`, the channel language and per-item extras in the raw document."""
    text = _decode(body)
    scan = Scan()
    first_item = _FIRST_ITEM.search(text)
    head = text[: first_item.start()] if first_item else text
    ttl = _TTL.search(head)
    if ttl:
        scan.ttl = int(ttl.group(1)) or None
    language = _LANGUAGE.search(head) or _XML_LANG.search(head)
    scan.language = language_code(_raw(language.group(1))) if language else None
    for match in _ITEM.finditer(text):
        keys, extras = _item_extras(match.group(2))
        for key in keys:
            scan.items.setdefault(key, extras)
    return scan
