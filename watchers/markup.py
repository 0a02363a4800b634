"""Text as readers see it: telling real HTML from plain text, HTML made plain, cutting for display.

Feeds mark nothing reliably: a title may be plain text that mentions `<violations>`, or HTML
someone entity-encoded twice. Stripping everything tag-shaped loses words, so text counts as HTML
only when it looks like it the way feedparser decides (`looks_like_html` in its mixin): there is
a closing tag or an entity reference, and every tag names an HTML element. Anything else is kept
as written; escaping for Telegram happens when an alert is rendered.
"""

from __future__ import annotations

import html.entities
import re
import unicodedata
from html.parser import HTMLParser

import regex

__all__ = [
    "DIRECTION_CONTROLS",
    "ELLIPSIS",
    "INVISIBLE_MARKS",
    "cut",
    "html_to_text",
    "looks_like_html",
    "visible",
    "without_controls",
]

ELLIPSIS = "…"
DIRECTION_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
"""Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): an unclosed one
reorders the rest of its line, so text beside it (an outlet, a date, the bot's own words) could
read backwards."""
INVISIBLE_MARKS = "\u200e\u200f\u061c\u00ad\u200b\u2060\ufeff"
"""Direction marks (LRM, RLM, ALM) and invisible breaks (soft hyphen, zero-width space, word
joiner, BOM), which text pasted from a web page carries: they change no letter, and kept they
would make "Laçın" and "Laçın" with a mark two different words."""

_ELEMENT_NAMES = (
    "a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big"
    " blink blockquote body br button canvas caption center cite code col colgroup data datalist"
    " dd del details dfn dialog dir div dl dt em embed fieldset figcaption figure font footer form"
    " frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe image img input ins"
    " isindex kbd keygen label legend li link listing main map mark marquee menu menuitem meta"
    " meter multicol nav nextid nobr noembed noframes noscript object ol optgroup option output p"
    " param picture plaintext pre progress q rb rp rt rtc ruby s samp script search section select"
    " slot small source spacer span strike strong style sub summary sup table tbody td template"
    " textarea tfoot th thead time title tr track tt u ul var video wbr xmp"
    # inline SVG and MathML, which HTML embeds
    " svg g path circle ellipse line polyline polygon rect defs use symbol clippath lineargradient"
    " radialgradient stop text tspan desc math mi mn mo mrow msup msub mfrac msqrt"
)
_HTML_ELEMENTS = frozenset(_ELEMENT_NAMES.split())
"""Every element name of HTML (current and obsolete), so real markup is recognised; feedparser's
own list is the narrower set its sanitizer keeps, which would take `<script>` for plain text."""

_MARKUP_SIGNAL = re.compile(
    r"</[A-Za-z][\w:-]*\s*>|<[A-Za-z][\w:-]*(?:\s+[\w:-]+\s*=|\s*/>)|<(?:br|hr|wbr)\s*>",
    re.IGNORECASE,
)
"""A closing tag, a start tag with an attribute, a self-closing one or a line break: what plain
text does not write (feedparser looks for the first only; `<img src="karabakh.jpg">` or
`Line<br>Line` alone is markup too)."""
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|([A-Za-z][A-Za-z0-9]*));")
_TAG_NAME = re.compile(r"</?([A-Za-z][\w:-]*)")
_KNOWN_ENTITIES = frozenset(name.rstrip(";") for name in html.entities.html5)

_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figure", "footer"}
    | {"form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol"}
    | {"p", "pre", "section", "table", "td", "th", "tr", "ul"}
)
_SKIP_TAGS = frozenset(
    {"figcaption", "head", "iframe", "noscript", "script", "style", "svg", "template"}
)
_GRAPHEME = regex.compile(r"\X")
_CONTROLS = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff"
    f"{''.join(sorted(DIRECTION_CONTROLS))}{INVISIBLE_MARKS}]"
)
"""Unicode's control characters (category Cc) other than whitespace (tab, line breaks, the
separators U+001C–U+001F, NEL), surrogates (Cs), bidi controls and invisible marks."""
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Letters and symbols that print as nothing: the Hangul fillers and the blank Braille cell."""


def looks_like_html(text: str) -> bool:
    """Whether `text` is HTML rather than plain text that happens to contain `<` or `&`.

    As feedparser decides: a closing tag or an entity reference must be present (or, here, a tag
    with an attribute, a self-closing one or a `<br>`), every tag must name an HTML element
    (namespaced ones such as Word's `<o:p>` count as markup) and every named entity must be one
    HTML defines. `Ceasefire <violations> & shelling` is plain text;
    `<p>Text <b>bold</b></p>` and `Tom &amp; Jerry` are HTML.
    """
    if not (_MARKUP_SIGNAL.search(text) or _ENTITY.search(text)):
        return False
    for name in _TAG_NAME.findall(text):
        if ":" not in name and name.lower() not in _HTML_ELEMENTS:
            return False
    return all(not name or name in _KNOWN_ENTITIES for name in _ENTITY.findall(text))


class _TextExtractor(HTMLParser):
    """Turn HTML into text, keeping block boundaries as blank lines (the paragraph breaks)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(raw: str) -> str:
    """The text of an HTML fragment: tags and scripts gone, entities decoded, blocks separated
    by blank lines. Entities are decoded after parsing, so `&lt;b&gt;` stays a visible `<b>`."""
    parser = _TextExtractor()
    parser.feed(raw)
    parser.close()
    return "".join(parser.parts)


def without_controls(text: str) -> str:
    """`text` without what no reader can see or should have to: control characters (C0/C1
    other than whitespace) and lone surrogates, which some encoders (JSON for the Bot API among
    them) refuse; bidi embeddings, overrides and isolates (`DIRECTION_CONTROLS`), which could
    show it in another order than it is written; and `INVISIBLE_MARKS`.

    This is the one rule for text from outside: feed titles, outlets and text are made plain by
    it when parsed, alerts when rendered; a keyword holding what it removes is refused or tidied
    (`watchers.matching.keywords`). ZWJ/ZWNJ, variation selectors and emoji tags are kept: they
    are part of emoji sequences and of Persian and Indic spelling.
    """
    return text if text.isprintable() else _CONTROLS.sub("", text)


def visible(text: str) -> bool:
    """Whether `text` shows anything: a letter, digit, punctuation mark or symbol that prints.

    Whitespace, format characters (ZWJ, variation selectors), combining marks alone and the
    blank letters (Hangul fillers, the blank Braille cell) do not; a headline of only those
    would render as an empty line.
    """
    return any(
        unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_LETTERS for char in text
    )


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: cut between grapheme clusters, at a word when one
    ends in the last half, and marked with "…".

    A cluster (an emoji ZWJ sequence, a flag, a letter with its accents) is never split, so the
    cut shows no half-emoji; only a single cluster longer than the limit, which no real text
    has, is cut inside.
    """
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 0)
    end = 0
    for cluster in _GRAPHEME.finditer(text):
        if cluster.end() > room:
            break
        end = cluster.end()
    if end == 0:
        end = room
    space = text.rfind(" ", 0, end + 1)
    if space > room // 2:
        end = space
    return text[:end].rstrip() + ELLIPSIS
