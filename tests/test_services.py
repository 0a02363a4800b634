"""The shared objects: the HTTP client trusts exactly the origins the operator configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.services import http_client
from fakes import FeedServer
from watchers.fetch import fetch
from watchers.models import SourceState


@pytest.fixture
def servers() -> Iterator[list[FeedServer]]:
    """Five local servers: a feed, an LLM, Google News, GDELT, and one nobody configured."""
    started = [FeedServer().start() for _ in range(5)]
    for server in started:
        server.set("/x", b"answer", content_type="text/plain")
    yield started
    for server in started:
        server.stop()


async def test_configured_origins_are_reached_and_others_refused(servers: list[FeedServer]) -> None:
    feed, llm, google, gdelt, stranger = servers
    settings = Settings(
        feeds=(feed.url("/wire.xml"),),
        default_sources=False,
        llm_url=llm.url("/v1"),
        llm_model="tiny",
        google_news_url=google.url("/rss/search"),
        gdelt_url=gdelt.url("/api/v2/doc/doc"),
    )
    async with http_client(settings, stranger.url("/cli-feed.xml")) as client:
        for server in servers:
            result = await fetch(client, server.url("/x"), SourceState())
            assert result.body == b"answer", server.url("/x")
    async with http_client(settings) as client:
        refused = await fetch(client, stranger.url("/x"), SourceState())
    assert refused.error is not None
    assert "refused" in refused.error
    assert len(stranger.requests) == 1
