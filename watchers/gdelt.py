"""GDELT DOC 2.0 API: one article-list query for all watched terms, answers turned into reports.

The API answers `mode=artlist&format=json` with `{"articles": [...]}`, or `{}` when nothing
matched, but it reports trouble as plain text with HTTP 200: a throttle notice ("Please limit
requests to one every 5 seconds ...") or a query error ("One or more of your keywords were too
short, too long or too common: ..."). `parse_gdelt` tells these apart from the body alone and
never raises. Callers must leave `GDELT_MIN_INTERVAL_SECONDS` between requests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from watchers.cpu import on_cpu
from watchers.feeds import one_line
from watchers.fetch import fetch
from watchers.google_news import quote_term, unique_terms
from watchers.identity import canonical_url, domain_of
from watchers.models import Collected, Report, SourceState
from watchers.text import fold

__all__ = [
    "GDELT_MIN_INTERVAL_SECONDS",
    "GdeltResult",
    "GdeltSource",
    "build_gdelt_url",
    "build_query",
    "parse_gdelt",
    "tidy_title",
]

logger = logging.getLogger(__name__)

GDELT_MIN_INTERVAL_SECONDS = 5
"""GDELT throttles clients that ask more often than once every 5 seconds."""
GDELT_TERMS_PER_QUERY = 20  # GDELT refuses over-long queries
GDELT_MIN_TERM_LENGTH = 3  # and keywords it finds too short ("EU")
GDELT_MAX_SPAN = timedelta(days=1)

_MIN_TIMESPAN_MINUTES = 15  # GDELT publishes in 15-minute updates; shorter windows miss nothing
_MAX_RECORDS = 250
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


def build_query(terms: Iterable[str]) -> str:
    """OR the terms together; GDELT rejects parentheses around a single term.

    Terms equal after folding count once (the spelling that sorts first is kept), and the
    order is by folded form, so the same watchlist always gives the same query.
    """
    ordered = unique_terms(terms)
    if not ordered:
        raise ValueError("a GDELT query needs at least one term")
    quoted = [quote_term(term) for term in ordered]
    return quoted[0] if len(quoted) == 1 else f"({' OR '.join(quoted)})"


def build_gdelt_url(
    terms: Iterable[str],
    base_url: str,
    *,
    timespan_minutes: int,
    max_records: int = _MAX_RECORDS,
) -> str:
    """Build the article-list URL for `terms` over the last `timespan_minutes`, newest first."""
    params = {
        "query": build_query(terms),
        "mode": "artlist",
        "format": "json",
        "sort": "datedesc",
        "timespan": f"{max(timespan_minutes, _MIN_TIMESPAN_MINUTES)}min",
        "maxrecords": str(min(max(max_records, 1), _MAX_RECORDS)),
    }
    return f"{base_url}?{urlencode(params, quote_via=quote)}"


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


class Pacer:
    """Keeps requests to one service a minimum time apart, across polls: GDELT answers a second
    request within 5 seconds (from anywhere in this process) with a throttle notice."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last = -math.inf

    async def wait(self) -> None:
        delay = self._last + self._interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._last = time.monotonic()


@dataclass(frozen=True, slots=True)
class GdeltSource:
    """The GDELT DOC API, asked for every watched spelling over the time since its last success.

    The process has one GDELT source, and its pacer keeps all of its requests 5 s apart.
    """

    name: str
    url: str
    interval: float
    verified: bool = True
    pacer: Pacer = field(
        default_factory=lambda: Pacer(GDELT_MIN_INTERVAL_SECONDS), compare=False, repr=False
    )
    kind = "gdelt"
    searches = True

    async def collect(
        self,
        client: httpx.AsyncClient,
        state: SourceState,
        terms: Sequence[str],
        now: datetime,
    ) -> Collected:
        """Ask for the terms in batches, over a window reaching back past the last success."""
        since = state.last_success or now - timedelta(seconds=2 * self.interval)
        span = min(now - since, GDELT_MAX_SPAN) + timedelta(minutes=5)
        minutes = math.ceil(span.total_seconds() / 60)
        collected, errors, answered = Collected(), [], 0
        # Spellings that fold alike are one term before batching, not only within a batch: each
        # batch costs a request and a 5 s wait.
        usable = [t for t in unique_terms(terms) if len(fold(t)) >= GDELT_MIN_TERM_LENGTH]
        for start in range(0, len(usable), GDELT_TERMS_PER_QUERY):
            await self.pacer.wait()
            batch = usable[start : start + GDELT_TERMS_PER_QUERY]
            url = build_gdelt_url(batch, self.url, timespan_minutes=minutes)
            result = await fetch(client, url, SourceState())
            if result.error or result.body is None:
                errors.append(result.error or "empty response")
                collected.retry_after = result.retry_after
                continue
            parsed = await on_cpu(parse_gdelt, result.body, source=self.name)
            if parsed.throttled:  # the rest of this poll's batches would be refused too
                errors.append("throttled")
                collected.retry_after = 2 * GDELT_MIN_INTERVAL_SECONDS
                break
            if parsed.error:  # GDELT refused these terms: a problem of the query, not of GDELT
                logger.warning("GDELT refused the query for %s: %s", ", ".join(batch), parsed.error)
                continue
            answered += 1
            collected.reports += parsed.reports
        return collected.settle(self.name, errors, answered)
