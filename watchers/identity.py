"""Report identity: one story must get one id however a source decorates its link.

Feeds add tracking parameters (`?at_medium=RSS`, `?traffic_source=rss`, `?utm_source=...`),
fragments (BBC guids end in `#0`) and `www.` prefixes that differ between sources and fetches.
`canonical_url` strips that decoration so the same story compares equal; `report_id` turns
the canonical URL (or, for items without a link, a stable guid) into the id the store keys on.
`domain_of` is the one place that names a URL's site (for reports, logs and error strings).

Canonicalisation rules (for identity only: `Report.url` keeps the link as given, and is what
people open or what an extractor fetches):

* scheme and host are lowercased, a leading `www.` is dropped (outlets serve both, and
  different sources disagree on which), default ports (`:80` for http, `:443` for https)
  are dropped, internationalised host names are punycoded; the scheme itself is kept
  (http and https stay distinct);
* the fragment is dropped;
* the path keeps its case; an empty path becomes `/`; a single trailing `/` is dropped from
  any other path (`/news/story/` -> `/news/story`): CMSs serve both forms for one article,
  while two different articles whose paths differ only by a trailing slash do not occur;
* non-ASCII characters in path and query are percent-encoded and escapes are uppercased,
  so an Armenian or Cyrillic slug given raw by one source and encoded by another meets;
* query parameters named in `TRACKING_PARAMS`, or starting with a prefix in
  `TRACKING_PREFIXES`, are dropped (names compared case-insensitively); the rest are kept
  as given and sorted, so `?b=2&a=1` and `?a=1&b=2` meet. Meaningful parameters such
  as `id`, `p` or `article` are never dropped; `ref` and `src` are dropped because on
  article URLs they only ever name a referrer (`?src=rss`);
* Google redirect links (`news.google.com/url?url=...`, `www.google.com/url?q=...`) are
  unwrapped when they carry the real address; `news.google.com/rss/articles/CBMi...` links
  do not (the target is encoded server-side) and are kept as they are;
* anything that is not an http(s) URL (a `tag:` or `urn:` id), or that `urlsplit` cannot
  read (an unclosed IPv6 bracket), is returned stripped but otherwise unchanged.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit, urlunsplit

from watchers.text import fold

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "canonical_url",
    "domain_of",
    "headline_key",
    "is_stable_guid",
    "report_id",
]

MIN_KEYED_HEADLINE = 25  # characters; shorter headlines ("Live updates") repeat across stories

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "_ga",
        "_gl",
        "cmp",
        "cmpid",
        "dclid",
        "fbclid",
        "gbraid",
        "gclid",
        "igshid",
        "maca",  # Deutsche Welle feed tag, e.g. maca=en-rss-en-all-1573-rdf
        "mc_cid",
        "mc_eid",
        "msclkid",
        "ocid",
        "ref",
        "ref_src",
        "ref_url",
        "smid",
        "spm",
        "src",
        "traffic_source",
        "wbraid",
        "yclid",
    }
)
"""Query parameter names that only say where a click came from."""

TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "at_", "pk_", "mtm_", "ns_", "hsa_", "_hs")
"""Parameter name prefixes of analytics families (`at_` is the BBC's, `ns_` comScore's)."""

_GOOGLE_REDIRECT_HOSTS = frozenset({"news.google.com", "google.com", "www.google.com"})
_GOOGLE_REDIRECT_KEYS = ("url", "q", "u")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CACHE_BUSTER_PARAMS = frozenset(
    {"_", "cachebuster", "cb", "nocache", "r", "rand", "t", "time", "timestamp", "ts"}
)
_EPOCH_VALUE = re.compile(r"\d{9,13}")
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_URL_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in '"<>\\^`{|}')


def _is_tracking(name: str) -> bool:
    lowered = unquote_plus(name).lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _is_http(url: str) -> bool:
    return url[:8].lower().startswith(("http://", "https://"))


def _unwrap_google_redirect(url: str) -> str:
    """Return the target of a Google redirect link when the link itself carries it."""
    if "google." not in url[:40].lower():
        return url
    parts = urlsplit(url)
    if (parts.hostname or "") not in _GOOGLE_REDIRECT_HOSTS or not parts.path.endswith("/url"):
        return url
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key in _GOOGLE_REDIRECT_KEYS:
        target = params.get(key, "").strip()
        if _is_http(target):
            return target
    return url


def _netloc(scheme: str, netloc: str, hostname: str | None, port: int | None) -> str:
    if hostname is None:
        return netloc.lower()
    host = hostname.lower().rstrip(".").removeprefix("www.")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return host


def _encoded(part: str) -> str:
    """Percent-encode what is not printable ASCII and uppercase existing escapes."""
    part = quote(part, safe=_URL_SAFE) if not part.isascii() or " " in part else part
    return _ESCAPE.sub(lambda m: m.group(0).upper(), part) if "%" in part else part


def canonical_url(url: str) -> str:
    """Return the identity form of `url` (see the module docstring for the rules)."""
    url = url.strip()
    if not _is_http(url):
        return url
    try:
        url = _unwrap_google_redirect(url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an unclosed IPv6 bracket, a port out of range: kept as given
        return url
    scheme = parts.scheme.lower()
    netloc = _netloc(scheme, parts.netloc.split("@")[-1], parts.hostname, port)
    path = _encoded(parts.path) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    pairs = [
        _encoded(pair)
        for pair in parts.query.split("&")
        if pair and not _is_tracking(pair.split("=", 1)[0])
    ]
    query = "&".join(sorted(pairs))
    return urlunsplit((scheme, netloc, path, query, ""))


def domain_of(url: str) -> str:
    """Return the lowercased host of `url` without `www.`, or "" when it has none.

    Outlets serve both `www.` and bare hosts, so the bare one names the site everywhere.
    """
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def is_stable_guid(guid: str | None) -> bool:
    """Tell whether `guid` names the item itself rather than one fetch of the feed.

    Rejected: empty guids; URL guids that point at the site root without a query (a
    homepage is not an item); URL guids carrying a cache-buster parameter with an epoch-like
    value (Al Jazeera's `https://www.aljazeera.com/?t=1700000000` changes on every fetch).
    WordPress's `https://site/?p=123` is kept: `p` is a post number, not a timestamp.
    """
    if guid is None or not guid.strip():
        return False
    guid = guid.strip()
    if not _is_http(guid):
        return True
    try:
        parts = urlsplit(canonical_url(guid))
    except ValueError:  # not a URL anyone can fetch, but the same text every time
        return True
    if parts.path == "/" and not parts.query:
        return False
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in _CACHE_BUSTER_PARAMS and _EPOCH_VALUE.fullmatch(value):
            return False
    return True


def report_id(canonical: str, guid: str | None, guid_is_stable: bool) -> str:
    """Return the stored id of a report, or "" when nothing identifies it.

    `canonical` is the canonical URL of the item's link ("" without one) and wins: it is what
    different sources and fetches of one story share.
    Items without a link fall back to a stable guid: a URL guid is canonicalised like a link
    (so a BBC `...#0` guid meets its link), any other guid becomes `g:<guid>`.
    """
    if canonical:
        return canonical
    if not guid_is_stable or guid is None or not guid.strip():
        return ""
    guid = guid.strip()
    if _is_http(guid):
        return canonical_url(guid)
    return f"g:{guid}"


def headline_key(title: str, domain: str) -> str | None:
    """The same report reached through two sources (an outlet's feed, and Google News pointing
    at its own link) has two URLs but one outlet and one headline; None where a headline is too
    short to tell reports apart ("Live updates")."""
    headline = " ".join(fold(title).split())
    if not domain or len(headline) < MIN_KEYED_HEADLINE:
        return None
    return f"{domain}|{headline}"
