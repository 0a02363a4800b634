"""Tests for polite fetching against a real local server, and for the state it keeps."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fakes import FeedServer
from watchers.decide import record_success
from watchers.feeds import parse_feed
from watchers.fetch import USER_AGENT, fetch
from watchers.models import SourceState
from watchers.netpolicy import MAX_REDIRECTS, NetPolicy, PolicyTransport

FEED = (Path(__file__).resolve().parent / "fixtures" / "feeds" / "rss2_cdata_ttl.xml").read_bytes()
NOW = datetime(2026, 2, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


async def test_200_then_304_with_stored_etag(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.set("/feed.xml", FEED)
    url = server.url("/feed.xml")
    first = await fetch(client, url, SourceState())
    assert first.error is None
    assert first.status == 200
    assert first.body == FEED
    assert first.etag
    assert not first.not_modified
    assert parse_feed(first.body or b"", source="s", feed_url=url).ttl_minutes == 15
    assert "if-none-match" not in server.requests[0].headers
    assert server.requests[0].headers["user-agent"] == USER_AGENT

    state = record_success(SourceState(), first, NOW, ttl_minutes=15)
    second = await fetch(client, url, state)
    assert second.not_modified
    assert second.status == 304
    assert second.body is None
    assert second.error is None
    assert server.requests[1].headers["if-none-match"] == first.etag

    server.set("/feed.xml", FEED + b"\n<!-- changed -->")
    third = await fetch(client, url, record_success(state, second, NOW))
    assert third.status == 200
    assert third.etag != first.etag
    assert third.body
    assert third.body.endswith(b"<!-- changed -->")


async def test_last_modified_conditional_get(server: FeedServer, client: httpx.AsyncClient) -> None:
    modified = datetime(2026, 2, 18, 9, 30, tzinfo=UTC)
    server.set("/lm.xml", FEED, etag=None, last_modified=modified)
    url = server.url("/lm.xml")
    first = await fetch(client, url, SourceState())
    assert first.etag is None
    assert first.last_modified == "Wed, 18 Feb 2026 09:30:00 GMT"

    second = await fetch(client, url, record_success(SourceState(), first, NOW))
    assert server.requests[1].headers["if-modified-since"] == first.last_modified
    assert second.not_modified

    server.set("/lm.xml", FEED, etag=None, last_modified=modified + timedelta(hours=1))
    third = await fetch(client, url, record_success(SourceState(), first, NOW))
    assert third.status == 200
    assert third.body == FEED


async def test_server_error_names_host_and_status_only(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    server.set("/broken", b"oops", status=500)
    result = await fetch(client, server.url("/broken?apikey=SECRET123"), SourceState())
    assert result.status == 500
    assert result.body is None
    assert result.error == "127.0.0.1: HTTP 500"
    assert server.requests[0].path == "/broken?apikey=SECRET123"


async def test_404_for_unknown_path(server: FeedServer, client: httpx.AsyncClient) -> None:
    result = await fetch(client, server.url("/missing"), SourceState())
    assert result.status == 404
    assert result.error == "127.0.0.1: HTTP 404"


async def test_retry_after_is_reported(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.set("/busy", b"slow down", status=429, headers={"Retry-After": "120"})
    result = await fetch(client, server.url("/busy"), SourceState())
    assert result.status == 429
    assert result.retry_after == 120.0


async def test_a_retry_after_of_digits_float_cannot_read_is_ignored(
    server: FeedServer, client: httpx.AsyncClient
) -> None:
    """A digit to str.isdigit() but not to float() ("²"): it raised out of fetch, so the poll
    failed without recording the failure, every time."""
    server.set("/busy", b"slow down", status=503, headers={"Retry-After": "²"})
    result = await fetch(client, server.url("/busy"), SourceState())
    assert result.status == 503
    assert result.error is not None
    assert result.retry_after is None


async def test_redirects_are_followed(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.set("/new.xml", FEED)
    server.set("/old.xml", b"", status=301, headers={"Location": server.url("/new.xml")})
    result = await fetch(client, server.url("/old.xml"), SourceState())
    assert result.status == 200
    assert result.body == FEED


async def test_redirect_hops_are_bounded(server: FeedServer, client: httpx.AsyncClient) -> None:
    for hop in range(MAX_REDIRECTS + 1):
        server.set(f"/hop{hop}", b"", status=302, headers={"Location": f"/hop{hop + 1}"})
    server.set(f"/hop{MAX_REDIRECTS + 1}", FEED)
    within = await fetch(client, server.url("/hop1"), SourceState())
    assert within.body == FEED
    beyond = await fetch(client, server.url("/hop0?key=abc"), SourceState())
    assert beyond.error == "127.0.0.1: too many redirects"
    assert len(server.requests) == 2 * MAX_REDIRECTS + 2


async def test_a_redirect_the_policy_refuses_is_an_error_not_a_fetch(server: FeedServer) -> None:
    """The feed's own origin is trusted; where its redirect leads (another port) is not."""
    with FeedServer() as internal:
        internal.set("/feed.xml", FEED)
        server.set("/moved.xml", b"", status=302, headers={"Location": internal.url("/feed.xml")})
        transport = PolicyTransport(NetPolicy([server.url("/moved.xml")]))
        async with httpx.AsyncClient(transport=transport) as client:
            result = await fetch(client, server.url("/moved.xml?key=SECRET1"), SourceState())
        assert internal.requests == []
    assert (result.status, result.body) == (None, None)
    assert result.error == "127.0.0.1: refused to connect to 127.0.0.1 (127.0.0.1 is loopback)"


async def test_timeout(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.set("/hang", FEED, delay=5.0)
    started = time.monotonic()
    result = await fetch(client, server.url("/hang?token=abc"), SourceState(), timeout=0.3)
    assert time.monotonic() - started < 3
    assert result.error == "127.0.0.1: timed out"
    assert result.status is None
    assert result.body is None


async def test_connection_refused(client: httpx.AsyncClient) -> None:
    with FeedServer() as temporary:
        url = temporary.url("/gone?key=abc")
    result = await fetch(client, url, SourceState(), timeout=2)
    assert result.error is not None
    assert result.error.startswith("127.0.0.1: connection failed")
    assert "key" not in result.error


@pytest.mark.parametrize(
    "url", ["ftp://files.example/feed.xml", "ftp://www.Files.example/feed.xml?key=abc"]
)
async def test_invalid_url_does_not_raise(client: httpx.AsyncClient, url: str) -> None:
    result = await fetch(client, url, SourceState())
    assert result.status is None
    assert result.body is None
    assert result.error == "files.example: invalid URL"


@pytest.mark.parametrize("content_length", [True, False])
async def test_size_cap(
    server: FeedServer, client: httpx.AsyncClient, content_length: bool
) -> None:
    server.set("/big", b"x" * 200_000, content_length=content_length)
    result = await fetch(client, server.url("/big"), SourceState(), max_bytes=100_000)
    assert result.body is None
    assert result.error == "127.0.0.1: response over 100000 bytes"


async def test_default_cap_is_10_mb(server: FeedServer, client: httpx.AsyncClient) -> None:
    server.set("/huge", b"x" * (10 * 1024 * 1024 + 1), content_length=False)
    result = await fetch(client, server.url("/huge"), SourceState())
    assert result.error == "127.0.0.1: response over 10 MB"
    server.set("/exact", b"x" * 1000)
    exact = await fetch(client, server.url("/exact"), SourceState(), max_bytes=1000)
    assert exact.error is None
    assert exact.body == b"x" * 1000


def test_state_round_trips_through_json() -> None:
    state = SourceState(
        etag='"abc"', last_modified="Wed, 18 Feb 2026 09:30:00 GMT", errors=2,
        last_success=NOW - timedelta(days=1), last_error="h: HTTP 503",
        first_failure=NOW - timedelta(hours=1), disabled=False, next_poll=NOW, ttl_minutes=15,
    )  # fmt: skip
    stored = json.loads(json.dumps(state.to_dict()))
    assert stored["last_success"] == "2026-02-17T12:00:00+00:00"
    assert SourceState.from_dict(stored) == state


def test_state_from_partial_dict() -> None:
    state = SourceState.from_dict(
        {"etag": '"x"', "unknown": 1, "last_success": "2026-02-18T12:00:00"}
    )
    assert state.etag == '"x"'
    assert state.errors == 0
    assert state.last_success == NOW
