"""Fetch a report's web page and pull out the story text.

Many feeds (Google News above all) give only a headline, which cannot be summarised; the page
itself has the story. Pages are untrusted and often slow or huge, so fetching is bounded in
time and size, and every failure just means "no article text" rather than an exception that
would stall the polling job.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from watchers.cpu import CpuLaneError, on_cpu
from watchers.extract import extract_article
from watchers.netpolicy import Blocked, stream_get

__all__ = ["fetch_article"]

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"


def _content_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """Read at most `max_bytes` of the body. Pages swollen by inline scripts often pass any
    sensible cap while the story itself comes early, so the head is kept, not discarded."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= max_bytes:
            break
    return b"".join(chunks)[:max_bytes]


async def fetch_article(
    client: httpx.AsyncClient,
    url: str,
    *,
    timeout: float = 10.0,  # noqa: ASYNC109 - httpx's per-request timeout, not a deadline
    max_bytes: int = 2_000_000,
) -> str:
    """Download `url` and return its story text, or "" if anything goes wrong.

    `timeout` bounds the whole exchange, not each read, so a server trickling bytes cannot hold
    the poll. Only HTML is accepted; failures are logged once at WARNING and never raised.
    Redirects are followed one hop at a time, each through the client's policy, which is what
    keeps a link into a private network from being fetched (`watchers.netpolicy`).
    """
    try:
        async with asyncio.timeout(timeout):
            async with stream_get(
                client, url, timeout=timeout, headers={"Accept": _ACCEPT}
            ) as response:
                if response.status_code != httpx.codes.OK:
                    logger.warning("article fetch %s: HTTP %d", url, response.status_code)
                    return ""
                content_type = _content_type(response)
                if content_type not in HTML_TYPES:
                    logger.warning("article fetch %s: not HTML (%s)", url, content_type or "none")
                    return ""
                body = await _read_capped(response, max_bytes)
    except Blocked:  # the policy has logged it, once per host
        return ""
    except TimeoutError:
        logger.warning("article fetch %s: timed out after %.1f s", url, timeout)
        return ""
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError) as exc:
        logger.warning("article fetch %s: %r", url, exc)
        return ""
    try:
        return await on_cpu(extract_article, body, url)
    except CpuLaneError as exc:  # the page may be what stopped the worker
        logger.warning("article fetch %s: %s", url, exc)
        return ""
