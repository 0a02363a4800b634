"""Article fetching and extraction against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from watchers.article import fetch_article
from watchers.extract import extract_article
from watchers.netpolicy import NetPolicy, PolicyTransport

STORY = [
    (
        "Engineers reopened the mountain road through Laçın on Tuesday after a three-week "
        "closure caused by landslides, district officials said."
    ),
    (
        "Residents had been forced to take a detour of more than ninety kilometres while crews "
        "cleared rocks and mud from a six-kilometre stretch of the road."
    ),
    (
        "Workers reinforced two slopes with steel netting and rebuilt a collapsed culvert near "
        "the river crossing, and a geologist will inspect the slopes again next month."
    ),
    (
        "Traffic will be limited to vehicles under twenty tonnes until the inspection is "
        "complete, the district administration said in a statement on its website."
    ),
]
NAV = "Home | World | Politics | Sport | Subscribe to our newsletter"
FOOTER = "Copyright Example Media Group. Privacy policy. Cookie settings. Contact the newsroom."
PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Road through Laçın reopens</title>
<script>window.tracking = {{"id": 12345}};</script></head>
<body>
<header><nav><ul>{"".join(f"<li><a href='/{w}'>{w}</a></li>" for w in NAV.split(" | "))}</ul></nav>
</header>
<main><article>
<h1>Road through Laçın reopens after landslides</h1>
<p class="byline">By Staff Reporter</p>
{"".join(f"<p>{sentence}</p>" for sentence in STORY)}
</article>
<aside><h3>Most read</h3><ul><li><a href="/a">Ten facts about mountain goats</a></li>
<li><a href="/b">Weather: rain expected on Friday</a></li></ul></aside></main>
<footer><p>{FOOTER}</p></footer>
</body></html>
"""
PADDING = "<!-- " + "x" * 200_000 + " -->"


class _Server:
    """Routes: path -> (status, content type, body, delay); counts /queue requests in flight."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes, float]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/moved":
                    self.send_response(302)
                    self.send_header("Location", "/article")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, content_type, body, delay = server.routes.get(
                    self.path, (404, "text/plain", b"not found", 0.0)
                )
                queued = self.path.startswith("/queue/")
                with server.lock:
                    server.in_flight += queued
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    time.sleep(delay)
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server.lock:
                        server.in_flight -= queued

            def log_message(self, *args: object) -> None:
                """Silence the default stderr access log."""

        return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    srv = _Server()
    page = PAGE.encode()
    srv.routes = {
        "/article": (200, "text/html; charset=utf-8", page, 0.0),
        "/big": (200, "text/html", page.replace(b"</footer>", f"</footer>{PADDING}".encode()), 0),
        "/late": (200, "text/html", f"<html><body>{PADDING}{PAGE}".encode(), 0.0),
        "/data.json": (200, "application/json", b'{"text": "not a page"}', 0.0),
        "/broken": (500, "text/html", b"<h1>Internal Server Error</h1>", 0.0),
        "/slow": (200, "text/html", page, 1.0),
        **{f"/queue/{n}": (200, "text/html", page, 0.15) for n in range(4)},
    }
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield http


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "watchers.article" and r.levelno >= logging.WARNING
    ]


def test_extract_article_keeps_story_and_drops_page_furniture() -> None:
    text = extract_article(PAGE, "https://news.example/road")
    for sentence in STORY:
        assert sentence in text
    assert "Subscribe to our newsletter" not in text
    assert "Privacy policy" not in text
    assert "mountain goats" not in text
    assert "tracking" not in text
    assert "\n\n" in text  # paragraphs stay apart so sentences never run together


@pytest.mark.parametrize("html", ["", "<html><body></body></html>", "<<>>&"])
def test_extract_article_returns_empty_on_nothing_to_extract(html: str) -> None:
    assert extract_article(html) == ""


async def test_fetch_article_returns_story_text(
    server: _Server, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    text = await fetch_article(client, server.url("/article"))
    assert STORY[0] in text
    assert STORY[-1] in text
    assert "Privacy policy" not in text
    assert not _warnings(caplog)


async def test_fetch_article_follows_redirects(server: _Server, client: httpx.AsyncClient) -> None:
    assert STORY[1] in await fetch_article(client, server.url("/moved"))


async def test_oversize_page_is_read_only_up_to_the_cap(
    server: _Server, client: httpx.AsyncClient
) -> None:
    text = await fetch_article(client, server.url("/big"), max_bytes=50_000)
    assert STORY[0] in text  # the story came before the cap: the head is kept
    late = await fetch_article(client, server.url("/late"), max_bytes=50_000)
    assert late == ""  # the story lies past the cap, so it was never read


@pytest.mark.parametrize(
    ("path", "reason"), [("/data.json", "not HTML"), ("/broken", "HTTP 500"), ("/nope", "404")]
)
async def test_fetch_article_failures_give_empty_text_and_one_warning(
    server: _Server,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    path: str,
    reason: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="watchers.article"):
        assert await fetch_article(client, server.url(path)) == ""
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert reason in warnings[0].getMessage()


async def test_fetch_article_times_out_quietly(
    server: _Server, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    assert await fetch_article(client, server.url("/slow"), timeout=0.2) == ""
    assert time.monotonic() - started < 0.9
    assert len(_warnings(caplog)) == 1


async def test_fetch_article_survives_refused_connection_and_bad_url(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert await fetch_article(client, "http://127.0.0.1:9/closed") == ""
    assert await fetch_article(client, "not a url") == ""
    assert len(_warnings(caplog)) == 2


async def test_a_link_the_policy_refuses_gives_no_text_and_no_warning_of_its_own(
    server: _Server, caplog: pytest.LogCaptureFixture
) -> None:
    """The page that `test_fetch_article_returns_story_text` reads, but not a configured origin:
    the policy refuses it (and logs that once per host), so the article adds no warning."""
    transport = PolicyTransport(NetPolicy(["http://127.0.0.1:1/feed.xml"]))
    async with httpx.AsyncClient(transport=transport, trust_env=False) as guarded:
        assert await fetch_article(guarded, server.url("/article")) == ""
        assert await fetch_article(guarded, server.url("/moved")) == ""
    assert not _warnings(caplog)
    [refusal] = [r for r in caplog.records if r.name == "watchers.netpolicy"]
    assert refusal.getMessage().startswith("refused to connect to 127.0.0.1: 127.0.0.1 is loopback")
