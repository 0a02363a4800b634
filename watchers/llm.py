"""Optional abstractive summaries from an OpenAI-compatible Chat Completions API.

Extractive summaries (`watchers.summary`) always work; an operator who has an LLM endpoint can
get more readable ones. The LLM is an unreliable network service, so every failure yields
None and the caller falls back to the extractive summary. The API key is a secret: it is sent
only in the Authorization header and never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging

import httpx

from watchers.summary import shorten

__all__ = ["MAX_INPUT_CHARS", "chat_completions_url", "llm_summarise"]

logger = logging.getLogger(__name__)

MAX_INPUT_CHARS = 6000
"""The lead of a news story carries the gist; sending more costs tokens and time for little."""

_ENDPOINT = "/chat/completions"
_INSTRUCTIONS = (
    "You summarise news reports for a journalist's alert. Reply with the summary only: "
    "one to three plain sentences, at most {limit} characters, in the language of the report, "
    "stating who did what, where and when. No preamble, no markdown, no opinions."
)


def chat_completions_url(url: str) -> str:
    """Accept either the full endpoint or the API base ("https://host/v1") an operator copies."""
    url = url.rstrip("/")
    return url if url.endswith(_ENDPOINT) else url + _ENDPOINT


def _payload(model: str, title: str, text: str, limit: int) -> dict[str, object]:
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": _INSTRUCTIONS.format(limit=limit)},
            {"role": "user", "content": f"Title: {title}\n\n{text[:MAX_INPUT_CHARS]}"},
        ],
        "temperature": 0.2,
        "max_tokens": max(64, limit // 2),
    }


def _content(body: bytes) -> str:
    """The first choice's message text; ValueError/KeyError/TypeError when the shape is wrong."""
    content = json.loads(body)["choices"][0]["message"]["content"]
    if not isinstance(content, str):
        raise TypeError(f"content is {type(content).__name__}")
    return content


def _redact(message: str, api_key: str | None) -> str:
    return message.replace(api_key, "***") if api_key else message


async def llm_summarise(
    client: httpx.AsyncClient,
    *,
    url: str,
    model: str,
    api_key: str | None,
    title: str,
    text: str,
    timeout: float = 20.0,  # noqa: ASYNC109 - httpx's per-request timeout, not a deadline
    limit: int = 400,
) -> str | None:
    """Ask the model for a summary of at most `limit` characters; None on any failure.

    Models overshoot length instructions, so the reply is also cut at a word boundary.
    """
    endpoint = chat_completions_url(url)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        async with asyncio.timeout(timeout):
            response = await client.post(
                endpoint,
                json=_payload(model, title, text, limit),
                headers=headers,
                timeout=timeout,
            )
        if response.status_code != httpx.codes.OK:
            reason = f"HTTP {response.status_code}"
        else:
            summary = shorten(_content(response.content), limit)
            if summary:
                return summary
            reason = "empty reply"
    except TimeoutError:
        reason = f"timed out after {timeout:.1f} s"
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        reason = f"unexpected reply ({type(exc).__name__})"
    logger.warning("%s", _redact(f"LLM summary from {endpoint} failed: {reason}", api_key))
    return None
