"""The loopback feed server the tests and benchmarks serve feeds from (fakes.feeds)."""

from __future__ import annotations

import httpx
import pytest

from fakes import FeedServer


def test_feed_server_basics() -> None:
    server = FeedServer()
    with pytest.raises(RuntimeError):
        server.url("/x")
    with server:
        server.set("plain", b"hello", content_type="text/plain")
        response = httpx.get(server.url("plain?x=1"), headers={"X-Test": "1"})
        assert (response.status_code, response.text) == (200, "hello")
        assert response.headers["content-type"] == "text/plain"
        assert server.requests[-1].headers["x-test"] == "1"
        assert server.requests[-1].path == "/plain?x=1"
        server.set("/plain?x=1", b"query route")
        assert httpx.get(server.url("/plain?x=1")).text == "query route"
    server.stop()
