"""The summary step: feed text, article pages fetched once, and the LLM with its fallback."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import httpx
import pytest

from fakes import FeedServer
from watchers.alerts import LLMConfig, Summariser
from watchers.matchlane import plain_reports
from watchers.models import Match, Report

T = TypeVar("T")

FEED_TEXT = (  # plain, as a poll hands reports on (`watchers.matchlane.plain_reports`)
    "A humanitarian convoy reached Laçın on Tuesday. Officials said twelve trucks carried flour. "
    "A second convoy is planned."
)
ARTICLE = (
    "<html><body><nav>Menu</nav><article><p>A convoy of twelve trucks reached the town of Laçın on "
    "Tuesday after a week of delays at the checkpoint on the mountain road.</p>"
    "<p>Officials said it "
    "carried flour, medicine and fuel for the winter months ahead.</p></article></body></html>"
)


def _report(url: str, text: str = FEED_TEXT) -> Report:
    return Report(
        id=url, url=url, canonical_url=url, title="Convoy", text=text, published=datetime.now(UTC)
    )


def _llm_reply(content: str) -> bytes:
    return json.dumps(
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
    ).encode()


async def test_feed_text_with_sentences_is_summarised_without_fetching(feeds: FeedServer) -> None:
    async with httpx.AsyncClient() as client:
        [alert] = await Summariser(client).alerts(
            [(_report(feeds.url("/a")), Match(1, "Lachin", "Laçın"))]
        )
    assert alert.summary.startswith("A humanitarian convoy reached Laçın on Tuesday.")
    assert feeds.requests == []


async def test_thin_feed_text_fetches_the_article_once_for_all_chats(feeds: FeedServer) -> None:
    feeds.set("/story", ARTICLE.encode(), content_type="text/html")
    report = _report(feeds.url("/story"), text="Convoy in Laçın.")
    matched = [(report, Match(chat, "Lachin", "Laçın")) for chat in (1, 2, 3)]
    async with httpx.AsyncClient() as client:
        alerts = await Summariser(client).alerts(matched)
    assert [a.chat_id for a in alerts] == [1, 2, 3]
    assert all("twelve trucks" in a.summary and "Menu" not in a.summary for a in alerts)
    assert len(feeds.requests) == 1


async def test_no_article_fetch_when_switched_off_or_for_google_news(feeds: FeedServer) -> None:
    async with httpx.AsyncClient() as client:
        [offline] = await Summariser(client, fetch_articles=False).alerts(
            [(_report(feeds.url("/story"), "Convoy in Laçın."), Match(1, "Lachin", "Laçın"))]
        )
        google = _report("https://news.google.com/rss/articles/CBMiX?oc=5", "Convoy in Laçın.")
        [from_google] = await Summariser(client).alerts([(google, Match(1, "Lachin", "Laçın"))])
    assert offline.summary == "Convoy in Laçın." == from_google.summary
    assert feeds.requests == []


async def test_the_llm_writes_the_summary_when_configured(feeds: FeedServer) -> None:
    feeds.set(
        "/v1/chat/completions",
        _llm_reply("Twelve trucks reached Laçın."),
        content_type="application/json",
    )
    llm = LLMConfig(feeds.url("/v1"), "tiny-model", "sk-local")
    async with httpx.AsyncClient() as client:
        [alert] = await Summariser(client, llm=llm).alerts(
            [(_report("https://wire.test/a"), Match(1, "Lachin", "Laçın"))]
        )
    assert alert.summary == "Twelve trucks reached Laçın."
    [request] = feeds.requests
    assert request.headers["authorization"] == "Bearer sk-local"
    assert json.loads(request.body)["model"] == "tiny-model"


async def test_a_failing_llm_falls_back_to_the_extractive_summary(feeds: FeedServer) -> None:
    feeds.set(
        "/v1/chat/completions",
        b'{"error": "overloaded"}',
        content_type="application/json",
        status=503,
    )
    llm = LLMConfig(feeds.url("/v1"), "tiny-model")
    async with httpx.AsyncClient() as client:
        [alert] = await Summariser(client, llm=llm).alerts(
            [(_report("https://wire.test/a"), Match(1, "Lachin", "Laçın"))]
        )
    assert alert.summary.startswith("A humanitarian convoy reached Laçın")
    assert len(feeds.requests) == 1


async def test_one_llm_call_per_report_however_many_chats(feeds: FeedServer) -> None:
    feeds.set(
        "/v1/chat/completions",
        _llm_reply("Twelve trucks reached Laçın."),
        content_type="application/json",
    )
    report = _report("https://wire.test/a")
    matched = [(report, Match(chat, "Lachin", "Laçın")) for chat in range(1, 8)]
    async with httpx.AsyncClient() as client:
        alerts = await Summariser(client, llm=LLMConfig(feeds.url("/v1"), "m")).alerts(matched)
    assert {a.summary for a in alerts} == {"Twelve trucks reached Laçın."}
    assert len(alerts) == 7
    assert len(feeds.requests) == 1


async def _here(func: Callable[..., T], /, *args: object, **kwargs: object) -> T:
    """The CPU lane run in this process, so that a test can replace the step it runs."""
    return func(*args, **kwargs)


async def test_a_failing_summary_still_leaves_the_alert(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("segmenter exploded")

    monkeypatch.setattr("watchers.alerts.summarise", broken)
    monkeypatch.setattr("watchers.alerts.on_cpu", _here)
    async with httpx.AsyncClient() as client:
        [alert] = await Summariser(client).alerts(
            [(_report("https://wire.test/a"), Match(1, "Lachin", "Laçın"))]
        )
    assert (alert.chat_id, alert.summary) == (1, "")
    assert any("segmenter exploded" in r.exc_text for r in caplog.records if r.exc_text)


async def test_a_story_many_chats_watch_is_summarised_and_logged_once_per_form(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str | None] = []

    def broken(text: str, form: str | None, **kwargs: object) -> str:
        calls.append(form)
        raise RuntimeError("segmenter exploded")

    monkeypatch.setattr("watchers.alerts.summarise", broken)
    monkeypatch.setattr("watchers.alerts.on_cpu", _here)
    report = _report("https://wire.test/a")
    matched = [(report, Match(chat, "Lachin", "Laçın")) for chat in range(1, 301)]
    matched.append((report, Match(301, "Karabakh", "Karabakh")))
    async with httpx.AsyncClient() as client:
        alerts = await Summariser(client).alerts(matched)
    assert [a.chat_id for a in alerts] == list(range(1, 302))
    assert {a.summary for a in alerts} == {""}
    assert sorted(calls) == ["Karabakh", "Laçın"]
    assert len([r for r in caplog.records if r.exc_text]) == 2  # was one per chat: 301


async def test_text_is_cleaned_once_so_nothing_is_lost_on_the_way() -> None:
    raw = "<p>BAKU, Nov 24 — Officials (APA) said the &lt;b&gt; tag was shown. They met again.</p>"
    [report] = plain_reports([_report("https://wire.test/a", raw)])
    async with httpx.AsyncClient() as client:
        [alert] = await Summariser(client).alerts([(report, Match(1, "Baku", "BAKU"))])
    assert alert.summary == "Officials (APA) said the <b> tag was shown. They met again."


def test_the_llm_key_is_not_in_the_config_repr() -> None:
    """A repr lands in tracebacks and debug logs; the key must not (as in bot.config.Settings)."""
    assert "sk-secret" not in repr(LLMConfig("http://llm.test/v1", "tiny", "sk-secret"))
