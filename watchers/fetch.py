"""Polite HTTP for every source: conditional GETs, a size cap, backoff and auto-disable.

`fetch` never raises for network trouble: timeouts, refused connections, bad statuses,
oversized bodies and redirects the client's `watchers.netpolicy` refuses all come back as
`FetchResult.error`, a short string naming only the host and what went wrong (never the query
string, which may hold keys). The bookkeeping between polls lives in `SourceState` (a record of
`watchers.models`); what a poll makes of it (backoff, the next poll, switching a source off) is
decided in `watchers.decide`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from watchers.identity import domain_of
from watchers.models import SourceState
from watchers.netpolicy import Blocked, stream_get

__all__ = [
    "USER_AGENT",
    "FetchResult",
    "fetch",
]

logger = logging.getLogger(__name__)

USER_AGENT = "Newswatch/0.1 (+https://github.com/newswatch)"

_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "application/json;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP attempt: a body, a 304, or an error string safe to show and log."""

    status: int | None
    body: bytes | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_after: float | None = None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _host(url: str) -> str:
    """Name the site in an error string; the rest of the URL may hold keys."""
    return domain_of(url) or "invalid URL"


def _size(limit: int) -> str:
    mebibyte = 1024 * 1024
    return f"{limit // mebibyte} MB" if limit % mebibyte == 0 else f"{limit} bytes"


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Read Retry-After as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit(), not to float()
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max((_aware(when) - now).total_seconds(), 0.0)


def _conditional_headers(state: SourceState) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": _ACCEPT}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes | None:
    """Read the body, or return None as soon as it grows past `max_bytes`."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _get(
    client: httpx.AsyncClient,
    url: str,
    state: SourceState,
    timeout: float,  # noqa: ASYNC109 -- httpx's timeout for each read, not a deadline
    max_bytes: int,
) -> FetchResult:
    host = _host(url)
    request_headers = _conditional_headers(state)
    async with stream_get(client, url, headers=request_headers, timeout=timeout) as response:
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        status = response.status_code
        if status == 304:
            return FetchResult(status, not_modified=True, etag=etag, last_modified=last_modified)
        if not 200 <= status < 300:
            retry = _retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
            return FetchResult(status, error=f"{host}: HTTP {status}", retry_after=retry)
        body = await _read_capped(response, max_bytes)
        if body is None:
            return FetchResult(status, error=f"{host}: response over {_size(max_bytes)}")
        return FetchResult(status, body=body, etag=etag, last_modified=last_modified)


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    state: SourceState,
    *,
    timeout: float = 20.0,  # noqa: ASYNC109 -- httpx's timeout for each read, not a deadline
    max_bytes: int = 10 * 1024 * 1024,
) -> FetchResult:
    """GET `url` conditionally (ETag / Last-Modified from `state`); never raises for the network.

    `timeout` bounds each network step and the whole exchange, so a server dripping bytes
    cannot hold a poll forever. Redirects are followed one hop at a time (`stream_get`), each
    through the client's policy.
    """
    host = _host(url)
    try:
        async with asyncio.timeout(timeout):
            return await _get(client, url, state, timeout, max_bytes)
    except (TimeoutError, httpx.TimeoutException):
        return FetchResult(None, error=f"{host}: timed out")
    except Blocked as exc:
        return FetchResult(None, error=f"{host}: refused to connect to {exc.host} ({exc.reason})")
    except httpx.TooManyRedirects:
        return FetchResult(None, error=f"{host}: too many redirects")
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        return FetchResult(None, error=f"{host}: invalid URL")
    except httpx.HTTPError as exc:
        logger.debug("fetch from %s failed: %s", host, type(exc).__name__)
        return FetchResult(None, error=f"{host}: connection failed ({type(exc).__name__})")
