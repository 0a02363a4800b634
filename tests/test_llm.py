"""The optional LLM summariser against a fake Chat Completions server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from watchers.llm import MAX_INPUT_CHARS, chat_completions_url, llm_summarise

API_KEY = "sk-test-5f2c9a1b7e3d4c6f"
REPLY = (
    "Engineers reopened the mountain road through Laçın on Tuesday after a three-week closure "
    "caused by landslides. Residents had faced a long detour. A geologist will inspect the "
    "slopes next month, and heavy vehicles stay barred until then, the district said in a "
    "statement that also thanked the road crews for working through the night in bad weather "
    "and promised further repairs on the other roads of the district before the winter comes."
)


@dataclass
class _Fake:
    """Answers by path prefix; remembers each request's headers and JSON body."""

    httpd: ThreadingHTTPServer
    seen: list[tuple[str, dict[str, str], dict[str, object]]] = field(default_factory=list)

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{mode}/v1/chat/completions"


def _choices(content: object) -> bytes:
    message = {"role": "assistant", "content": content}
    return json.dumps({"id": "x", "choices": [{"index": 0, "message": message}]}).encode()


ANSWERS: dict[str, tuple[int, bytes, float]] = {
    "ok": (200, _choices(REPLY), 0.0),
    "short": (200, _choices("  Road through Laçın reopened.\n"), 0.0),
    "fail": (500, json.dumps({"error": {"message": "boom"}}).encode(), 0.0),
    "unauthorised": (401, json.dumps({"error": {"message": f"bad key {API_KEY}"}}).encode(), 0),
    "slow": (200, _choices(REPLY), 1.0),
    "garbage": (200, b"<html>definitely not json", 0.0),
    "no-choices": (200, b'{"choices": []}', 0.0),
    "null-content": (200, _choices(None), 0.0),
    "empty": (200, _choices("   "), 0.0),
}


@pytest.fixture(scope="module")
def fake() -> Iterator[_Fake]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            mode = self.path.split("/")[1]
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.seen.append((self.path, headers, json.loads(body)))
            status, answer, delay = ANSWERS.get(mode, (404, b"{}", 0.0))
            try:
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            """Silence the default stderr access log."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server = _Fake(httpd)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield http


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "watchers.llm" and r.levelno >= logging.WARNING]


async def _ask(
    client: httpx.AsyncClient,
    url: str,
    *,
    api_key: str | None = API_KEY,
    timeout: float = 5.0,  # noqa: ASYNC109 - the signature of the function it replaces
    limit: int = 400,
) -> str | None:
    return await llm_summarise(
        client,
        url=url,
        model="tiny-model",
        api_key=api_key,
        title="Road through Laçın reopens",
        text="Engineers reopened the road. " * 500,
        timeout=timeout,
        limit=limit,
    )


async def test_summary_is_returned_trimmed_and_key_sent_in_header(
    fake: _Fake, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.seen.clear()
    summary = await _ask(client, fake.url("ok"), limit=200)
    assert summary is not None
    assert len(summary) <= 200
    assert summary.endswith("…")
    assert REPLY.startswith(summary[:-1])
    assert REPLY[len(summary) - 1] == " "  # cut between words
    path, headers, payload = fake.seen[-1]
    assert path.endswith("/v1/chat/completions")
    assert headers["authorization"] == f"Bearer {API_KEY}"
    assert payload["model"] == "tiny-model"
    messages = payload["messages"]
    assert isinstance(messages, list)
    user = messages[-1]["content"]
    assert "Road through Laçın reopens" in user
    assert len(user) <= MAX_INPUT_CHARS + 100
    assert not _warnings(caplog)


async def test_short_reply_is_kept_whole_and_no_key_means_no_header(
    fake: _Fake, client: httpx.AsyncClient
) -> None:
    fake.seen.clear()
    assert await _ask(client, fake.url("short"), api_key=None) == "Road through Laçın reopened."
    assert "authorization" not in fake.seen[-1][1]


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("fail", "HTTP 500"),
        ("unauthorised", "HTTP 401"),
        ("garbage", "unexpected reply"),
        ("no-choices", "unexpected reply"),
        ("null-content", "unexpected reply"),
        ("empty", "empty reply"),
        ("missing", "HTTP 404"),
    ],
)
async def test_failures_give_none_and_one_warning_without_the_key(
    fake: _Fake,
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    reason: str,
) -> None:
    with caplog.at_level(logging.DEBUG):
        assert await _ask(client, fake.url(mode)) is None
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert reason in warnings[0].getMessage()
    assert API_KEY not in caplog.text


async def test_slow_server_times_out(
    fake: _Fake, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.DEBUG):
        assert await _ask(client, fake.url("slow"), timeout=0.2) is None
    assert time.monotonic() - started < 0.9
    assert "timed out" in caplog.text
    assert API_KEY not in caplog.text


async def test_unreachable_server_gives_none(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        assert await _ask(client, f"http://127.0.0.1:9/{API_KEY}/v1") is None
    assert len(_warnings(caplog)) == 1
    assert API_KEY not in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "https://llm.example/v1",
        "https://llm.example/v1/",
        "https://llm.example/v1/chat/completions",
    ],
)
def test_chat_completions_url_accepts_base_or_endpoint(url: str) -> None:
    assert chat_completions_url(url) == "https://llm.example/v1/chat/completions"
