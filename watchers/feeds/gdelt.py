"""GDELT DOC 2.0 API answers turned into reports (see `watchers.gdelt` for the source).

The API answers `mode=artlist&format=json` with `{"articles": [...]}`, or `{}` when nothing
matched, but it reports trouble as plain text with HTTP 200: a throttle notice ("Please limit
requests to one every 5 seconds ...") or a query error ("One or more of your keywords were too
short, too long or too common: ..."). `parse_gdelt` tells these apart from the body alone and
never raises.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from watchers.feeds.fields import one_line
from watchers.identity import canonical_url, domain_of
from watchers.models import Report

__all__ = ["GdeltResult", "parse_gdelt", "tidy_title"]

logger = logging.getLogger(__name__)

_THROTTLE_MARKER = "limit requests"
_SPACED_PUNCTUATION = re.compile(r"\s+([,;])")
_BAD_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')

_LANGUAGE_CODES = {
    "afrikaans": "af", "albanian": "sq", "arabic": "ar", "armenian": "hy", "azerbaijani": "az",
    "bengali": "bn", "bosnian": "bs", "bulgarian": "bg", "catalan": "ca", "chinese": "zh",
    "croatian": "hr", "czech": "cs", "danish": "da", "dutch": "nl", "english": "en",
    "estonian": "et", "finnish": "fi", "french": "fr", "galician": "gl", "georgian": "ka",
    "german": "de", "greek": "el", "gujarati": "gu", "hebrew": "he", "hindi": "hi",
    "hungarian": "hu", "icelandic": "is", "indonesian": "id", "italian": "it", "japanese": "ja",
    "kannada": "kn", "kazakh": "kk", "korean": "ko", "kyrgyz": "ky", "latvian": "lv",
    "lithuanian": "lt", "macedonian": "mk", "malay": "ms", "malayalam": "ml", "marathi": "mr",
    "mongolian": "mn", "nepali": "ne", "norwegian": "no", "persian": "fa", "polish": "pl",
    "portuguese": "pt", "punjabi": "pa", "romanian": "ro", "russian": "ru", "serbian": "sr",
    "sinhala": "si", "sinhalese": "si", "slovak": "sk", "slovenian": "sl", "somali": "so",
    "spanish": "es", "swahili": "sw", "swedish": "sv", "tajik": "tg", "tamil": "ta",
    "telugu": "te", "thai": "th", "tibetan": "bo", "turkish": "tr", "turkmen": "tk",
    "ukrainian": "uk", "urdu": "ur", "uzbek": "uz", "vietnamese": "vi",
}  # fmt: skip
"""GDELT names languages in English; reports carry ISO 639-1 codes like the feeds do."""


@dataclass(slots=True)
class GdeltResult:
    """One GDELT answer: reports, or why there are none.

    A throttled answer sets both `throttled` and `error`, so a caller that only checks
    `error` still backs off; `throttled` lets it wait the GDELT-specific interval instead.
    """

    reports: list[Report] = field(default_factory=list)
    throttled: bool = False
    error: str | None = None


def tidy_title(title: str) -> str:
    """Undo GDELT's spacing quirk ("a , b ; c" -> "a, b; c") and collapse whitespace."""
    return _SPACED_PUNCTUATION.sub(r"\1", " ".join(title.split()))


def _seen_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _language(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return None
    code = _LANGUAGE_CODES.get(name.strip().lower())
    if code is None:
        logger.debug("GDELT language %r has no ISO code here", name)
    return code


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _report(article: dict[str, Any], source: str) -> Report | None:
    url = _text(article.get("url"))
    if not url.lower().startswith(("http://", "https://")) or not domain_of(url):
        return None  # not a link, or one urlsplit cannot read (an unclosed IPv6 bracket)
    canonical = canonical_url(url)
    # GDELT's `domain` is a bare host; as `//host` it reads as a scheme-relative URL.
    domain = domain_of(f"//{_text(article.get('domain'))}") or domain_of(url)
    return Report(
        id=canonical,
        url=url,
        canonical_url=canonical,
        title=tidy_title(one_line(_text(article.get("title")))),
        published=_seen_date(article.get("seendate")),
        outlet=domain,
        domain=domain,
        language=_language(article.get("language")),
        country=_text(article.get("sourcecountry")) or None,
        source=source,
    )


def _load_json(text: str) -> Any:
    """Load GDELT JSON, repairing the stray backslashes its titles sometimes carry."""
    try:
        return json.loads(text, strict=False)
    except json.JSONDecodeError:
        return json.loads(_BAD_ESCAPE.sub(r"\\\\", text), strict=False)


def parse_gdelt(body: bytes, *, source: str) -> GdeltResult:
    """Turn a GDELT DOC API answer into reports; throttling and errors come back as fields."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return GdeltResult()
    if not text.startswith(("{", "[")):
        if _THROTTLE_MARKER in text.lower():
            return GdeltResult(throttled=True, error="throttled by GDELT")
        return GdeltResult(error=text.splitlines()[0].strip()[:300])
    try:
        payload = _load_json(text)
    except json.JSONDecodeError as exc:
        return GdeltResult(error=f"invalid JSON from GDELT: {exc.msg}")
    except RecursionError:
        return GdeltResult(error="invalid JSON from GDELT: nested too deep")
    if not isinstance(payload, dict):
        return GdeltResult(error="unexpected JSON from GDELT: not an object")
    articles = payload.get("articles", [])
    if not isinstance(articles, list):
        return GdeltResult(error="unexpected JSON from GDELT: articles is not a list")
    reports: list[Report] = []
    seen: set[str] = set()
    for article in articles:
        report = _report(article, source) if isinstance(article, dict) else None
        if report is not None and report.id not in seen:
            seen.add(report.id)
            reports.append(report)
    return GdeltResult(reports=reports)
