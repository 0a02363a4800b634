"""The fake's HTTP side: a threaded HTTP/1.1 server on 127.0.0.1 (an OS-chosen port) and the
decoding of a request's parameters as Telegram reads them (query string, form-urlencoded, JSON or
multipart body; numbers, booleans and JSON-encoded values such as ``reply_markup``).

Each request goes to one ``handle(path, content_type, body) -> (status, JSON body)`` callable;
the server knows nothing of the Bot API's methods.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
import re
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from fakes.telegram.errors import bad_request

logger = logging.getLogger(__name__)

Handle = Callable[[str, str, bytes], tuple[int, dict[str, Any]]]
"""Answers one request: (path with query, Content-Type, body) -> (HTTP status, JSON body)."""

_INT_PARAMS = frozenset(
    {
        "message_id",
        "user_id",
        "offset",
        "limit",
        "cache_time",
        "message_thread_id",
        "reply_to_message_id",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "entities",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
    }
)


def _decode_json_param(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        if name == "reply_markup":
            raise bad_request("can't parse reply keyboard markup JSON object") from None
        raise bad_request(f"can't parse {name} JSON object") from None


def _decode_param(name: str, value: Any) -> Any:
    """Turn a (possibly string-encoded) parameter into the type Telegram reads it as."""
    if name in _JSON_PARAMS:
        return _decode_json_param(name, value)
    if not isinstance(value, str):
        return value
    if name == "chat_id":
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if name == "timeout":
        try:
            return float(value)
        except ValueError:
            raise bad_request("invalid timeout specified") from None
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None
    if name in _BOOL_PARAMS:
        return value.lower() in {"true", "1"}
    return value


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        decoded = part.get_payload(decode=True)  # bytes for a leaf part, None for none
        payload = decoded if isinstance(decoded, bytes) else b""
        filename = part.get_filename()
        if filename:
            fields[str(name)] = {"filename": filename, "size": len(payload)}
        else:
            fields[str(name)] = payload.decode("utf-8")
    return fields


def _raw_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if not body:
        return params
    if kind == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError:
            raise bad_request("can't parse JSON encoded request parameters") from None
        if not isinstance(decoded, dict):
            raise bad_request("can't parse JSON encoded request parameters")
        params.update(decoded)
    elif kind == "multipart/form-data":
        params.update(_parse_multipart(content_type, body))
    else:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


def request_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """A request's parameters, each decoded to the type Telegram reads it as; raises the
    ``ApiError`` Telegram answers for a body or value it cannot parse."""
    return {
        name: _decode_param(name, value)
        for name, value in _raw_params(query, content_type, body).items()
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients dropping connections (e.g. a cancelled long poll) are routine here."""
        logger.debug("connection from %s ended: %r", client_address, sys.exception())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.transport.track(self.connection, add=True)

    def finish(self) -> None:
        self.server.transport.track(self.connection, add=False)
        super().finish()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.transport.handle(
            self.path, self.headers.get("Content-Type", ""), body
        )
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST

    def log_message(self, fmt: str, *args: Any) -> None:
        """Keep the access log quiet and secret-free: tests assert no log line carries the token."""
        line = (fmt % args).replace(self.server.transport.secret, "<token>")
        logger.debug("fake telegram: %s", line)


class Transport:
    """Serves ``handle`` over HTTP in a daemon thread, independently of any event loop."""

    def __init__(self, handle: Handle, *, secret: str) -> None:
        self.handle = handle
        self.secret = secret  # never written to the access log
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-telegram",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def open_connections(self) -> int:
        """Connections being served now: each request a closed client sent has been answered
        (and recorded) once its connection is no longer counted."""
        with self._lock:
            return len(self._connections)

    def track(self, conn: socket.socket, *, add: bool) -> None:
        """Remember an open connection (``add``) or forget a closed one."""
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close(self) -> None:
        """Stop serving and drop open connections, so no client waits on a dead server."""
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("connection already closed")
        self._server.server_close()
        self._thread.join(timeout=5)
