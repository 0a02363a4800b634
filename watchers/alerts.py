"""The summary step: a matched report becomes an Alert with a short summary of whole sentences.

Feed text is used when it has at least two sentences; otherwise the article page is fetched
(bounded in time, size and concurrency) and its main text extracted. An optional LLM writes the
summary instead, and any failure of it falls back to the extractive one. Work is shared: one
report matched by a thousand chats is fetched, extracted and sent to the LLM once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from watchers.article import fetch_article
from watchers.cpu import on_cpu
from watchers.identity import domain_of
from watchers.llm import llm_summarise
from watchers.models import Alert, Match, Report
from watchers.summary import clean_text, needs_article, summarise

__all__ = ["LLMConfig", "Summariser"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Google News links lead to a JavaScript redirect page, not to the story: nothing to extract.
_NO_ARTICLE_FETCH = frozenset({"news.google.com"})


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """Where an OpenAI-compatible chat-completions API lives, if the operator has one."""

    url: str
    model: str
    api_key: str | None = field(default=None, repr=False)  # a secret: never in a repr or a log


class Summariser:
    """Turns matches into alerts for one poll, doing each piece of work once per report."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        llm: LLMConfig | None = None,
        slots: asyncio.Semaphore | None = None,
        fetch_articles: bool = True,
    ) -> None:
        """`slots` bounds article fetches and LLM calls in flight; share one across polls."""
        self._client = client
        self._llm = llm
        self._fetch_articles = fetch_articles
        self._slots = slots or asyncio.Semaphore(4)
        self._once: dict[tuple[str, ...], asyncio.Future[object]] = {}

    def _shared(self, key: tuple[str, ...], make: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """The result of `make()`, started the first time `key` is asked for."""
        if key not in self._once:
            self._once[key] = asyncio.ensure_future(make())
        return self._once[key]  # type: ignore[return-value]

    async def _text(self, report: Report) -> str:
        """The best plain text for the report: feed text, else the extracted article."""
        text = report.text
        if (
            self._fetch_articles
            and domain_of(report.url) not in _NO_ARTICLE_FETCH
            and await on_cpu(needs_article, text)  # sentence splitting is CPU work
        ):
            async with self._slots:
                article = await fetch_article(self._client, report.url)
            if article:
                return await on_cpu(clean_text, article)
        return text

    async def _llm_summary(self, report: Report, text: str) -> str | None:
        assert self._llm is not None
        async with self._slots:
            return await llm_summarise(
                self._client,
                url=self._llm.url,
                model=self._llm.model,
                api_key=self._llm.api_key,
                title=report.title,
                text=text,
            )

    async def summary(self, report: Report, form: str | None) -> str:
        """At most 400 characters of whole sentences, showing `form` where the text has it."""
        text = await self._shared(("text", report.id), lambda: self._text(report))
        if self._llm is not None and text:
            written = await self._shared(
                ("llm", report.id), lambda: self._llm_summary(report, text)
            )
            if written:
                return written
        return await self._shared(
            ("extract", report.id, form or ""),
            lambda: on_cpu(summarise, text, form, language=report.language or "en"),
        )

    async def alerts(self, matched: Sequence[tuple[Report, Match]]) -> list[Alert]:
        """One alert per (report, chat); a summary that fails leaves the alert without one.

        One task per distinct (report, form), not per chat: a story a thousand chats watch
        would otherwise put a thousand tasks on the event loop, all waiting for one summary.
        """
        distinct: dict[tuple[str, str], Report] = {}
        for report, match in matched:
            distinct.setdefault((report.id, match.form), report)
        summaries = await asyncio.gather(
            *(self.summary(report, form) for (_, form), report in distinct.items()),
            return_exceptions=True,
        )
        written: dict[tuple[str, str], str] = {}
        for key, summary in zip(distinct, summaries, strict=True):
            if isinstance(summary, BaseException):
                logger.error("summary of %s failed", key[0], exc_info=summary)
                summary = ""
            written[key] = summary
        return [
            Alert(
                match.chat_id,
                report,
                match.keyword,
                match.form,
                written[report.id, match.form],
                match.context,
            )
            for report, match in matched
        ]
