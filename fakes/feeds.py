"""A real HTTP feed server on 127.0.0.1 for tests and benchmarks that must not touch the network.

Usage::

    with FeedServer() as server:
        server.set("/feed.xml", body)              # 200, ETag derived from the body
        url = server.url("/feed.xml")              # http://127.0.0.1:<port>/feed.xml
        ...                                        # fetch it with httpx
        server.requests[-1].headers["if-none-match"]   # what the client sent

API:

* `FeedServer()`, `start()`, `stop()`, or use it as a context manager. It listens on an
  ephemeral port of 127.0.0.1 in a daemon thread.
* `url(path) -> str`: the absolute URL of `path` (which may include a query string).
* `set(path, body, *, content_type=..., status=200, etag="auto", last_modified=None,
  delay=0.0, content_length=True, headers=None)`: what `path` answers from now on.
  - `etag="auto"` derives a strong ETag from the body, so changing the body changes it;
    `None` sends no ETag; any other string is sent as given.
  - `last_modified` (a `datetime` or an HTTP-date string) is sent as Last-Modified.
  - Conditional requests are honoured: a matching If-None-Match, or (when there is no
    If-None-Match) an If-Modified-Since at or after `last_modified`, gets 304. Only 200
    routes answer 304.
  - `status=500` makes the path fail; `delay=5.0` makes it wait before answering (a hang,
    for timeout tests; `stop()` cuts the wait short); a large `body` with
    `content_length=False` streams without declaring its size (for size-cap tests).
  - `headers` adds extra response headers (e.g. `{"Retry-After": "120"}`).
* Unknown paths answer 404. A path is matched with its query string first, then without.
* POST is answered like GET (the request body is recorded), so a route can stand in for an
  API such as an LLM endpoint.
* `requests`: a list of `Request(path, headers, body)` in arrival order; `headers` has lowercase
  names. Clear it with `server.requests.clear()`.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

__all__ = ["FeedServer", "Request", "Route"]


@dataclass(frozen=True, slots=True)
class Request:
    """One request the server received: the path (with query), lowercase-named headers, body."""

    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass(slots=True)
class Route:
    """What one path answers."""

    body: bytes
    content_type: str
    status: int
    etag: str | None
    last_modified: datetime | None
    delay: float
    content_length: bool
    headers: dict[str, str] = field(default_factory=dict)


def _http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


def _parse_http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _etag_matches(header: str, etag: str) -> bool:
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or etag.removeprefix("W/") in wanted


class _Server(ThreadingHTTPServer):
    """A listen backlog for a bot polling 50 feeds at once: at the default 5, the excess
    connections wait for a SYN retry (1 s, then 3 s) and the fixture, not the bot, is slow."""

    request_queue_size = 128
    daemon_threads = True


class FeedServer:
    """Serves canned feed responses over real HTTP; see the module docstring."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="feed-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FeedServer is not running")
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        if not path.startswith("/"):
            path = "/" + path
        return f"http://127.0.0.1:{self.port}{path}"

    def set(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        status: int = 200,
        etag: str | None = "auto",
        last_modified: datetime | str | None = None,
        delay: float = 0.0,
        content_length: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        if etag == "auto":
            etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
        if isinstance(last_modified, str):
            last_modified = _parse_http_date(last_modified)
        route = Route(
            body, content_type, status, etag, last_modified, delay, content_length,
            dict(headers or {}),
        )  # fmt: skip
        with self._lock:
            self._routes[path if path.startswith("/") else "/" + path] = route

    def _route(self, raw_path: str) -> Route | None:
        with self._lock:
            return self._routes.get(raw_path) or self._routes.get(urlsplit(raw_path).path)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {name.lower(): value for name, value in self.headers.items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(Request(self.path, headers, body))
                route = server._route(self.path)
                if route is None:
                    self._send(404, b"not found", "text/plain", {})
                    return
                if route.delay and server._stopping.wait(route.delay):
                    return
                if route.status == 200 and self._not_modified(route, headers):
                    self._send(304, b"", None, self._validators(route))
                    return
                extra = {**self._validators(route), **route.headers}
                self._send(route.status, route.body, route.content_type, extra, route)

            do_POST = do_GET  # an API stand-in (e.g. an LLM endpoint) answers POSTs the same way

            def _validators(self, route: Route) -> dict[str, str]:
                validators = {}
                if route.etag:
                    validators["ETag"] = route.etag
                if route.last_modified:
                    validators["Last-Modified"] = _http_date(route.last_modified)
                return validators

            def _not_modified(self, route: Route, headers: dict[str, str]) -> bool:
                if "if-none-match" in headers:
                    return route.etag is not None and _etag_matches(
                        headers["if-none-match"], route.etag
                    )
                since = _parse_http_date(headers.get("if-modified-since", ""))
                return (
                    since is not None
                    and route.last_modified is not None
                    and route.last_modified.replace(microsecond=0) <= since
                )

            def _send(
                self,
                status: int,
                body: bytes,
                content_type: str | None,
                headers: dict[str, str],
                route: Route | None = None,
            ) -> None:
                try:
                    self.send_response(status)
                    if content_type:
                        self.send_header("Content-Type", content_type)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    if route is None or route.content_length or status == 304:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    return

            def log_message(self, *args: object) -> None:
                """Keep test output clean: the `requests` log is the record."""

        return Handler
