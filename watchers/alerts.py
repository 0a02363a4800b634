"""The summary step: a matched report becomes an Alert with a short summary of whole sentences.

Feed text is used when it has at least two sentences; otherwise the article page is fetched
(bounded in time, size and concurrency) and its main text extracted. An optional LLM writes the
summary instead, and any failure of it falls back to the extractive one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from watchers.article import fetch_article
from watchers.feeds import domain_of
from watchers.llm import llm_summarise
from watchers.models import Alert, Match, Report
from watchers.summary import clean_text, needs_article, summarise

__all__ = ["LLMConfig", "Summariser"]

# Google News links lead to a JavaScript redirect page, not to the story: nothing to extract.
_NO_ARTICLE_FETCH = frozenset({"news.google.com"})


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """Where an OpenAI-compatible chat-completions API lives, if the operator has one."""

    url: str
    model: str
    api_key: str | None = None


class Summariser:
    """Turns matches into alerts; fetches each article at most once per instance."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        llm: LLMConfig | None = None,
        concurrency: int = 4,
        fetch_articles: bool = True,
    ) -> None:
        self._client = client
        self._llm = llm
        self._fetch_articles = fetch_articles
        self._fetching = asyncio.Semaphore(concurrency)
        self._texts: dict[str, asyncio.Future[str]] = {}

    def _text(self, report: Report) -> asyncio.Future[str]:
        """The report's text, loaded once even when several chats' alerts ask at the same time."""
        if report.id not in self._texts:
            self._texts[report.id] = asyncio.ensure_future(self._load_text(report))
        return self._texts[report.id]

    async def _load_text(self, report: Report) -> str:
        """The best plain text for the report: feed text, else the extracted article."""
        text = clean_text(report.text)
        if self._fetch_articles and needs_article(text) and domain_of(report.url) not in _NO_ARTICLE_FETCH:
            async with self._fetching:
                article = await fetch_article(self._client, report.url)
            if article:
                return article
        return text

    async def summary(self, report: Report, form: str | None) -> str:
        """At most 400 characters of whole sentences, showing `form` where the text has it."""
        text = await self._text(report)
        if self._llm is not None and text:
            written = await llm_summarise(
                self._client, url=self._llm.url, model=self._llm.model, api_key=self._llm.api_key,
                title=report.title, text=text,
            )
            if written:
                return written
        return summarise(text, form, language=report.language or "en")

    async def alerts(self, matched: Sequence[tuple[Report, Match]]) -> list[Alert]:
        """One alert per (report, chat), summaries made concurrently."""
        summaries = await asyncio.gather(*(self.summary(report, match.form) for report, match in matched))
        return [
            Alert(chat_id=match.chat_id, report=report, keyword=match.keyword, form=match.form, summary=summary)
            for (report, match), summary in zip(matched, summaries, strict=True)
        ]
