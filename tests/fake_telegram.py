"""A fake Telegram Bot API server for end-to-end tests of the real PTB ``Application``.

Tests point PTB at it with ``ApplicationBuilder().token(TOKEN).base_url(fake.base_url)``; it
listens on 127.0.0.1 (OS-chosen port) in a daemon thread, so it runs independently of the test's
event loop, and requests arrive as ``POST|GET /bot<TOKEN>/<method>``.

What it emulates, copying Telegram's behaviour and error wording:

* Transport: form-urlencoded (what PTB's ``HTTPXRequest`` sends, with complex values such as
  ``reply_markup`` as JSON strings), JSON bodies, multipart bodies and query strings. Method names
  are case-insensitive. Wrong token -> 401 ``Unauthorized``; unknown method -> 404 ``Not Found``.
* Methods: getMe, getUpdates (``offset`` confirms and drops older updates, negative offsets,
  ``limit``, long-poll ``timeout`` that wakes as soon as an update is pushed), deleteWebhook
  (``drop_pending_updates`` drops the queue), sendMessage, editMessageText,
  editMessageReplyMarkup, answerCallbackQuery, setMyCommands, getMyCommands, getChatMember,
  getChat.
* Message text: empty -> ``message text is empty``; more than 4096 UTF-16 units after entity
  parsing -> ``message is too long``; leading/trailing whitespace is trimmed as Telegram does.
* ``parse_mode=HTML``: a port of tdlib's ``parse_html`` (Telegram's own parser): only Telegram's
  tags, the same ``can't parse entities: ...`` messages with byte offsets, ``&lt; &gt; &amp;
  &quot;`` and numeric references decoded, entities returned with UTF-16 offsets. One deliberate
  difference: Telegram keeps a bare ``&`` that starts no known entity as a literal character; with
  ``strict_ampersand=True`` (the default) the fake rejects it (``Unescaped "&" at byte offset N``)
  so that forgotten escaping is caught even when a headline happens to contain no ``<``.
  Markdown parse modes are accepted but not parsed.
* Inline keyboards: ``callback_data`` must be 1-64 bytes (``BUTTON_DATA_INVALID``), a button needs
  an action, URL buttons need an http(s)/tg URL. Only inline keyboards are echoed in messages.
* Edits: unknown message -> ``message to edit not found``; a user's message -> ``message can't be
  edited``; same text, entities and keyboard -> ``message is not modified: ...``. As in Telegram,
  editMessageText without ``reply_markup`` removes the message's inline keyboard.
* A chat marked with :meth:`FakeTelegram.block_chat` -> 403 ``Forbidden: bot was blocked by the
  user`` (``bot was kicked from the group chat`` for groups).
  :meth:`~FakeTelegram.delete_chat` -> 400 ``chat not found``; :meth:`~FakeTelegram.migrate_chat`
  -> 400 with ``parameters.migrate_to_chat_id`` (PTB's ``ChatMigrated``) plus the two migration
  service messages; :meth:`~FakeTelegram.set_outage` -> every call answers 502 ``Bad Gateway``.
* Forum topics (:meth:`~FakeTelegram.add_forum`): ``message_thread_id`` must name an open topic
  (else ``message thread not found``) and is echoed in the message and in ``SentRecord``.
* Channels (:meth:`~FakeTelegram.add_channel`): getChat by ``@username``, getChatMember with
  the administrators' and the bot's rights (``can_post_messages``); a bot that may not post gets
  ``need administrator rights in the channel chat``.
* Flood control on sendMessage: a token bucket per chat (burst 3, 1 message/s by default) and a
  bot-wide bucket (30 messages/s) -> 429 ``Too Many Requests: retry after N`` with
  ``parameters.retry_after``. Rejected calls are not recorded as sent.
* Answering an unknown or already answered callback query -> ``query is too old and response
  timeout expired or query ID is invalid``; setMyCommands validates command names
  (``BOT_COMMAND_INVALID``) and descriptions.

Not emulated: webhooks, files, inline mode, group-specific limits (20 messages/minute), the 409
``Conflict`` Telegram returns for concurrent getUpdates calls, link previews, URL auto-detection.
"""

from __future__ import annotations

import asyncio
import copy
import email.parser
import email.policy
import json
import logging
import math
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "ApiError",
    "FakeTelegram",
    "RequestRecord",
    "SentRecord",
    "parse_html",
]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
BOT_FIRST_NAME = "Newswatch"
BOT_USERNAME = "newswatch_test_bot"
MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
ANONYMOUS_ADMIN_BOT_ID = 1087968824  # @GroupAnonymousBot, the sender of anonymous admins' messages
TELEGRAM_MAX_POLL_TIMEOUT = 50.0

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "login_url",
        "web_app",
        "callback_game",
        "pay",
        "copy_text",
    }
)
_MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
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
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_SPACE_BYTES = frozenset(b" \t\r\n\v\0")


class ApiError(Exception):
    """A Telegram error answer; raised inside method handlers, turned into the JSON reply."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id: int | None = None

    def payload(self) -> dict[str, Any]:
        """The body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return body


def _bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _entity_error(description: str) -> ApiError:
    return _bad_request(f"can't parse entities: {description}")


@dataclass(frozen=True)
class SentRecord:
    """One successful sendMessage/editMessageText/editMessageReplyMarkup call."""

    method: str
    chat_id: int
    message_id: int
    text: str
    raw_text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    entities: list[dict[str, Any]]
    time: float
    thread_id: int | None = None


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request as the fake saw it (never includes the token)."""

    method: str
    params: dict[str, Any]
    status: int
    time: float


@dataclass
class _StoredMessage:
    message: dict[str, Any]
    raw_text: str
    parse_mode: str | None


@dataclass
class _TokenBucket:
    """Classic token bucket: ``capacity`` tokens, refilled at ``rate`` tokens per second."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class _FormattedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_html_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """tdlib's decode_html_entity: the character and the position after the reference."""
    end = pos + 1
    value = 0
    if data[end : end + 1] == b"#":
        end += 1
        if data[end : end + 1] == b"x":
            end += 1
            while end < len(data) and chr(data[end]) in "0123456789abcdefABCDEF":
                value = value * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while end < len(data) and 48 <= data[end] <= 57:
                value = value * 10 + data[end] - 48
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        while end < len(data) and chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        named = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}.get(data[pos + 1 : end])
        if named is None:
            return None
        char = named
    if data[end : end + 1] == b";":
        end += 1
    return char, end


def _html_entity(
    tag: str,
    argument: str,
    offset: int,
    length: int,
    inner_text: str,
    entities: list[dict[str, Any]],
) -> None:
    """Append (or merge into the previous one) the entity a closed tag produces."""
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag in _SIMPLE_TAG_TYPES:
        entities.append({"type": _SIMPLE_TAG_TYPES[tag], "offset": offset, "length": length})
    elif tag == "a":
        url = argument or inner_text
        if "://" not in url and "." in url:
            url = f"http://{url}"
        if urlsplit(url).scheme in {"http", "https", "tg", "ton"} and " " not in url:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif tag == "pre":
        if same_span and last is not None and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        if same_span and last is not None and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            entities.append(
                {"type": "code", "offset": offset, "length": length, "language": argument}
            )
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    elif tag == "tg-emoji" and argument.isdigit():
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )


def _html_attribute_argument(tag: str, name: bytes, value: str, argument: str) -> str:
    """The tag argument after reading one attribute, following tdlib's rules."""
    if tag == "a" and name == b"href":
        return value
    if tag == "code" and name == b"class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and name == b"class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and name == b"emoji-id":
        return value
    return argument


def parse_html(raw: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities) or raise the ``ApiError`` Telegram would.

    A port of tdlib's ``do_parse_html``, working on UTF-8 bytes so byte offsets in errors match.
    """
    data = raw.encode("utf-8")
    size = len(data)

    def at(k: int) -> int:
        return data[k] if k < size else 0

    out = bytearray()
    utf16 = 0
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, str, int, int]] = []
    i = 0
    while i < size:
        c = data[i]
        if c == ord("&"):
            decoded = _decode_html_entity(data, i)
            if decoded is not None:
                out += decoded[0].encode("utf-8")
                utf16 += _utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_ampersand:
                raise _entity_error(f'Unescaped "&" at byte offset {i}')
        if c != ord("<"):
            out.append(c)
            if c & 0xC0 != 0x80:
                utf16 += 2 if c >= 0xF0 else 1
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != ord("/"):
            while at(i) not in _SPACE_BYTES and at(i) != ord(">"):
                i += 1
            if i >= size:
                raise _entity_error(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].decode("utf-8", "replace").lower()
            if tag not in _HTML_TAGS:
                raise _entity_error(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != ord(">"):
                while i < size and at(i) in _SPACE_BYTES:
                    i += 1
                if at(i) == ord(">"):
                    break
                name_begin = i
                while at(i) not in _SPACE_BYTES and at(i) not in b"=>":
                    i += 1
                name = data[name_begin:i]
                if not name:
                    raise _entity_error(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while i < size and at(i) in _SPACE_BYTES:
                    i += 1
                if at(i) != ord("="):
                    if tag == "blockquote" and name == b"expandable":
                        argument = "1"
                        continue
                    raise _entity_error(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin}'
                    )
                i += 1
                while i < size and at(i) in _SPACE_BYTES:
                    i += 1
                if i >= size:
                    raise _entity_error(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if at(i) not in b"'\"":
                    token_begin = i
                    while chr(at(i)).isascii() and (chr(at(i)).isalnum() or at(i) in b".-"):
                        i += 1
                    value = data[token_begin:i].decode("ascii").lower()
                    if at(i) not in _SPACE_BYTES and at(i) != ord(">"):
                        raise _entity_error(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    buf = bytearray()
                    while i < size and at(i) != quote:
                        decoded = _decode_html_entity(data, i) if at(i) == ord("&") else None
                        if decoded is not None:
                            buf += decoded[0].encode("utf-8")
                            i = decoded[1]
                            continue
                        buf.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = buf.decode("utf-8", "replace")
                if i >= size:
                    raise _entity_error(f"Unclosed start tag at byte offset {begin}")
                argument = _html_attribute_argument(tag, name, value, argument)
            if tag == "span" and argument != "spoiler":
                raise _entity_error(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            stack.append((tag, argument, utf16, len(out)))
        else:
            if not stack:
                raise _entity_error(f"Unexpected end tag at byte offset {begin}")
            while at(i) not in _SPACE_BYTES and at(i) != ord(">"):
                i += 1
            end_name = data[begin + 2 : i].decode("utf-8", "replace")
            while i < size and at(i) in _SPACE_BYTES:
                i += 1
            if at(i) != ord(">"):
                raise _entity_error(f"Unclosed end tag at byte offset {begin}")
            tag, argument, start16, start_byte = stack.pop()
            if end_name and end_name != tag:
                raise _entity_error(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                    f'found "</{end_name}>"'
                )
            if utf16 > start16:
                inner = out[start_byte:].decode("utf-8")
                _html_entity(tag, argument, start16, utf16 - start16, inner, entities)
        i += 1
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code" or not entity.get("language"):
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.decode("utf-8"), entities


def _trim(text: str, entities: list[dict[str, Any]]) -> _FormattedText:
    """Strip surrounding whitespace like Telegram, clipping entities to what remains."""
    stripped = text.strip()
    if not stripped:
        return _FormattedText("")
    shift = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return _FormattedText(stripped, kept)


def _check_inline_keyboard(markup: dict[str, Any]) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    for button in (b for row in rows for b in row):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad_request(
                'can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        if not _BUTTON_ACTIONS & button.keys():
            raise _bad_request(
                "can't parse inline keyboard button: Text buttons are "
                "unallowed in the inline keyboard"
            )
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if url is not None:
            parts = urlsplit(str(url))
            if parts.scheme not in {"http", "https", "tg"} or not parts.netloc:
                raise _bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _decode_json_param(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        if name == "reply_markup":
            raise _bad_request("can't parse reply keyboard markup JSON object") from None
        raise _bad_request(f"can't parse {name} JSON object") from None


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
            raise _bad_request("invalid timeout specified") from None
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            raise _bad_request(f"invalid {name} specified") from None
    if name in _BOOL_PARAMS:
        return value.lower() in {"true", "1"}
    return value


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
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
            raise _bad_request("can't parse JSON encoded request parameters") from None
        if not isinstance(decoded, dict):
            raise _bad_request("can't parse JSON encoded request parameters")
        params.update(decoded)
    elif kind == "multipart/form-data":
        params.update(_parse_multipart(content_type, body))
    else:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


def _user(user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": "en",
    }
    if username:
        user["username"] = username
    return user


def _member(status: str, user: dict[str, Any], *, can_post: bool = True) -> dict[str, Any]:
    """A ChatMember object with every field PTB 22 requires for that status (an
    administrator's `can_post_messages` as given: it matters in channels)."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_pin_messages=True,
            can_manage_topics=False,
            can_post_messages=can_post,
        )
    elif status == "restricted":
        member.update(
            is_member=True,
            can_change_info=False,
            can_invite_users=False,
            can_pin_messages=False,
            can_send_messages=False,
            can_send_polls=False,
            can_send_other_messages=False,
            can_add_web_page_previews=False,
            can_manage_topics=False,
            until_date=0,
            can_send_audios=False,
            can_send_documents=False,
            can_send_photos=False,
            can_send_videos=False,
            can_send_video_notes=False,
            can_send_voice_notes=False,
            can_edit_tag=False,
            can_react_to_messages=False,
        )
    elif status == "kicked":
        member["until_date"] = 0
    return member


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
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
        self.server.fake._track_connection(self.connection, add=True)

    def finish(self) -> None:
        self.server.fake._track_connection(self.connection, add=False)
        super().finish()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.fake._handle(
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
        """Keep the access log quiet and token-free: tests assert no log line carries the token."""
        line = (fmt % args).replace(self.server.fake.token, "<token>")
        logger.debug("fake telegram: %s", line)


class FakeTelegram:
    """The fake Bot API server plus the test-side API to drive it and inspect what the bot did."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        per_chat_burst: int | None = 3,
        per_chat_rate: float = 1.0,
        global_rate: float | None = 30.0,
        strict_ampersand: bool = True,
        max_poll_wait: float = TELEGRAM_MAX_POLL_TIMEOUT,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_user: dict[str, Any] = {
            "id": int(prefix) if prefix.isdigit() else 123456,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.per_chat_burst = per_chat_burst
        self.per_chat_rate = per_chat_rate
        self.global_rate = global_rate
        self.strict_ampersand = strict_ampersand
        self.max_poll_wait = max_poll_wait
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._connections: set[socket.socket] = set()
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id: dict[int, int] = {}
        self._next_callback_id = 1
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._bot_messages: dict[int, dict[int, _StoredMessage]] = {}
        self._foreign_messages: set[tuple[int, int]] = set()
        self._open_callbacks: set[str] = set()
        self._blocked: set[int] = set()
        self._gone: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._topics: dict[int, set[int]] = {}
        self._cannot_post: set[tuple[int, int]] = set()
        self.outage_status: int | None = None
        self._member_status: dict[tuple[int, int], str] = {}
        self._chat_buckets: dict[int, _TokenBucket] = {}
        self._global_bucket: _TokenBucket | None = None
        self._commands: dict[str, list[dict[str, Any]]] = {}
        self._last_commands: list[dict[str, Any]] | None = None
        self._sent: list[SentRecord] = []
        self._requests: list[RequestRecord] = []
        self._answered: list[dict[str, Any]] = []
        self._methods: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "getChatMember": self._get_chat_member,
                "getChat": self._get_chat,
            }.items()
        }

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeTelegram is already running")
        self._stopping = False
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-telegram",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes long polls and drops open connections so nothing hangs."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("connection already closed")
        server.server_close()
        thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTelegram is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass to ``ApplicationBuilder().base_url`` / ``Bot(base_url=...)``."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ----- test-side API ---------------------------------------------------------------------

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
        username: str | None = None,
        first_name: str = "Ann",
        anonymous_admin: bool = False,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a user's text message; returns the update as PTB will receive it.

        With ``anonymous_admin`` the message comes, as in Telegram, from @GroupAnonymousBot with
        the group itself as ``sender_chat``. With ``thread_id`` it is posted in that topic of a
        forum supergroup (see :meth:`add_forum`).
        """
        if chat_type == "private":
            if chat_id <= 0 or user_id not in (None, chat_id):
                raise ValueError("a private chat's id is the user's (positive) id")
            user_id = chat_id
            chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": first_name}
            if username:
                chat["username"] = username
        elif chat_type in ("group", "supergroup"):
            if chat_id >= 0 or (user_id is None and not anonymous_admin):
                raise ValueError("group chat ids are negative and need a user_id")
            chat = {"id": chat_id, "type": chat_type, "title": chat_title or f"Group {chat_id}"}
            if self._chats.get(chat_id, {}).get("is_forum"):
                chat["is_forum"] = True
        else:
            raise ValueError(f"unsupported chat_type {chat_type!r}; use push_channel_post")
        if anonymous_admin:
            if chat_type == "private":
                raise ValueError("only groups have anonymous admins")
            user_id, first_name, username = ANONYMOUS_ADMIN_BOT_ID, "Group", "GroupAnonymousBot"
        user = _user(user_id, first_name, username)
        if anonymous_admin:
            user["is_bot"] = True
        with self._cond:
            self._chats[chat_id] = chat
            self._users[user_id] = user
            message_id = self._new_message_id(chat_id)
            self._foreign_messages.add((chat_id, message_id))
            message = {
                "message_id": message_id,
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                "text": text,
                **self._command_entities(text),
            }
            if anonymous_admin:
                message["sender_chat"] = chat
            if thread_id is not None:
                message["message_thread_id"] = thread_id
                message["is_topic_message"] = True
            return self._enqueue({"message": message})

    def push_channel_post(
        self, chat_id: int, text: str, *, title: str = "Channel", username: str | None = None
    ) -> dict[str, Any]:
        """Queue a channel post (no ``from``; the channel is the sender_chat)."""
        if chat_id >= 0:
            raise ValueError("channel ids are negative")
        chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        with self._cond:
            self._chats[chat_id] = chat
            message_id = self._new_message_id(chat_id)
            self._foreign_messages.add((chat_id, message_id))
            post = {
                "message_id": message_id,
                "sender_chat": chat,
                "chat": chat,
                "date": int(time.time()),
                "text": text,
                **self._command_entities(text),
            }
            return self._enqueue({"channel_post": post})

    def push_callback(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        shape: str = "message",
    ) -> dict[str, Any]:
        """Queue a button press on one of the bot's messages (its current state after edits).

        ``shape="inline"`` sends it as for an inline-mode message (``inline_message_id``, no
        ``message``); ``shape="inaccessible"`` as for a message too old to be sent along
        (an ``InaccessibleMessage``: chat, message_id and date 0).
        """
        with self._cond:
            stored = self._bot_messages.get(chat_id, {}).get(message_id)
            if stored is None:
                raise KeyError(f"the bot has no message {message_id} in chat {chat_id}")
            actual_type = stored.message["chat"]["type"]
            if chat_type is not None and chat_type != actual_type:
                raise ValueError(f"chat {chat_id} is a {actual_type} chat, not {chat_type}")
            if user_id is None:
                if actual_type != "private":
                    raise ValueError("a callback in a group or channel needs a user_id")
                user_id = chat_id
            user = self._users.get(user_id) or _user(user_id, "Ann", None)
            query_id = str(self._next_callback_id)
            self._next_callback_id += 1
            self._open_callbacks.add(query_id)
            query = {
                "id": query_id,
                "from": user,
                "message": copy.deepcopy(stored.message),
                "chat_instance": str(abs(chat_id)),
                "data": data,
            }
            if shape == "inline":
                del query["message"]
                query["inline_message_id"] = f"inline-{chat_id}-{message_id}"
            elif shape == "inaccessible":
                query["message"] = {
                    "chat": stored.message["chat"],
                    "message_id": message_id,
                    "date": 0,
                }
            elif shape != "message":
                raise ValueError(f"unknown callback shape {shape!r}")
            return self._enqueue({"callback_query": query})

    def block_chat(self, chat_id: int) -> None:
        """From now on sendMessage to this chat fails as if the user blocked the bot."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.discard(chat_id)

    def delete_chat(self, chat_id: int) -> None:
        """The chat no longer exists: sendMessage and getChat answer 400 ``chat not found``."""
        with self._lock:
            self._gone.add(chat_id)

    def migrate_chat(self, old: int, new: int, *, notify: bool = True) -> None:
        """The group became supergroup ``new``: sendMessage to ``old`` answers 400 with
        ``parameters.migrate_to_chat_id`` (PTB raises ``ChatMigrated``), and the service
        messages Telegram sends are queued (unless ``notify`` is False): ``migrate_to_chat_id``
        in the old group and ``migrate_from_chat_id`` in the new supergroup."""
        with self._cond:
            self._migrated[old] = new
            title = self._chat(old).get("title", f"Group {old}")
            group = {"id": old, "type": "group", "title": title}
            supergroup = {"id": new, "type": "supergroup", "title": title}
            self._chats[new] = supergroup
            if not notify:
                return
            for chat, key, value in (
                (group, "migrate_to_chat_id", new),
                (supergroup, "migrate_from_chat_id", old),
            ):
                message_id = self._new_message_id(chat["id"])
                self._foreign_messages.add((chat["id"], message_id))
                service = {
                    "message_id": message_id,
                    "chat": chat,
                    "date": int(time.time()),
                    "from": _user(ANONYMOUS_ADMIN_BOT_ID, "Group", "GroupAnonymousBot"),
                    key: value,
                }
                self._enqueue({"message": service})

    def add_forum(self, chat_id: int, topics: list[int], *, title: str = "Forum") -> None:
        """Make ``chat_id`` a forum supergroup with these topic (thread) ids: sendMessage with
        another ``message_thread_id`` answers 400 ``message thread not found``."""
        with self._lock:
            self._chats[chat_id] = {
                "id": chat_id,
                "type": "supergroup",
                "title": title,
                "is_forum": True,
            }
            self._topics[chat_id] = set(topics)

    def close_topic(self, chat_id: int, topic: int) -> None:
        """The topic was deleted: sending into it answers ``message thread not found``."""
        with self._lock:
            self._topics.get(chat_id, set()).discard(topic)

    def add_channel(
        self,
        chat_id: int,
        username: str,
        *,
        admins: tuple[int, ...] = (),
        bot_status: str = "administrator",
        bot_can_post: bool = True,
        title: str = "Channel",
    ) -> None:
        """A public channel ``@username``: ``admins`` are its administrators; the bot is a member
        with ``bot_status`` and, as administrator, may post unless ``bot_can_post`` is False."""
        with self._lock:
            self._chats[chat_id] = {
                "id": chat_id,
                "type": "channel",
                "title": title,
                "username": username,
            }
            for admin in admins:
                self._member_status[(chat_id, admin)] = "administrator"
            self._member_status[(chat_id, self.bot_user["id"])] = bot_status
            if not bot_can_post:
                self._cannot_post.add((chat_id, self.bot_user["id"]))

    def set_outage(self, status: int | None) -> None:
        """While set, every Bot API call answers with this HTTP status (e.g. 502 Bad Gateway),
        as during a Telegram outage; None ends it."""
        with self._lock:
            self.outage_status = status

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for this user in this chat (default ``member``)."""
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"unknown chat member status {status!r}")
        with self._lock:
            self._member_status[(chat_id, user_id)] = status

    @property
    def sent(self) -> list[SentRecord]:
        """Every successful sendMessage/editMessageText/editMessageReplyMarkup, in order."""
        with self._lock:
            return list(self._sent)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    @property
    def commands(self) -> list[dict[str, Any]] | None:
        """The ``commands`` of the last successful setMyCommands call (None if never called)."""
        with self._lock:
            return copy.deepcopy(self._last_commands)

    @property
    def answered_callbacks(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._answered)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they are now (after edits), oldest first."""
        with self._lock:
            stored = self._bot_messages.get(chat_id, {})
            return [copy.deepcopy(stored[mid].message) for mid in sorted(stored)]

    def mark(self) -> int:
        """A position in :attr:`sent` to pass to ``wait_for_sent(since=...)``."""
        with self._lock:
            return len(self._sent)

    def request_mark(self) -> int:
        """A position in :attr:`requests` to pass to ``wait_for_request(since=...)``."""
        with self._lock:
            return len(self._requests)

    async def wait_for_sent(
        self,
        predicate: Callable[[SentRecord], bool] | None = None,
        *,
        since: int = 0,
        count: int = 1,
        timeout: float = 5.0,
        chat_id: int | None = None,
    ) -> list[SentRecord]:
        """All matching records after index ``since`` once there are at least ``count``."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.sent[since:]
            found = [
                r
                for r in records
                if (chat_id is None or r.chat_id == chat_id) and (predicate is None or predicate(r))
            ]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                seen = (
                    "\n".join(
                        f"  {r.method} chat={r.chat_id} id={r.message_id}: {r.text[:200]!r}"
                        for r in records
                    )
                    or "  (nothing)"
                )
                raise AssertionError(
                    f"expected {count} matching message(s) (chat_id={chat_id}) within "
                    f"{timeout}s, got {len(found)}; sent since #{since}:\n{seen}"
                )
            await asyncio.sleep(0.02)

    async def wait_for_request(
        self, method: str, timeout: float = 5.0, *, since: int = 0, status: int | None = None
    ) -> RequestRecord:
        """The first request for ``method`` (case-insensitive) at index ``since`` or later, and
        with that HTTP ``status`` if one is given (429 for a request refused by flood control)."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.requests[since:]
            for record in records:
                if record.method.lower() == method.lower() and status in (None, record.status):
                    return record
            if time.monotonic() >= deadline:
                methods = ", ".join(r.method for r in records) or "(none)"
                raise AssertionError(
                    f"no {method} request within {timeout}s; requests since #{since}: {methods}"
                )
            await asyncio.sleep(0.02)

    # ----- request handling ------------------------------------------------------------------

    def _track_connection(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Route one HTTP request; returns (status, JSON body)."""
        parts = urlsplit(path)
        match = re.fullmatch(r"/bot([^/]*)/([^/]*)", parts.path)
        method = match.group(2) if match else ""
        params: dict[str, Any] = {}
        try:
            if match is None or not method:
                raise ApiError(404, "Not Found")
            if match.group(1) != self.token:
                raise ApiError(401, "Unauthorized")
            if self.outage_status is not None:
                raise ApiError(self.outage_status, "Bad Gateway")
            entry = self._methods.get(method.lower())
            if entry is None:
                raise ApiError(404, "Not Found")
            method = entry[0]
            params = {
                name: _decode_param(name, value)
                for name, value in _raw_params(parts.query, content_type, body).items()
            }
            status, payload = 200, {"ok": True, "result": entry[1](params)}
        except ApiError as error:
            status, payload = error.status, error.payload()
        except Exception as error:  # a bug in the fake must surface in the test, not hang it
            logger.exception("fake telegram failed on %s", method)
            status = 500
            payload = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {error!r}",
            }
        with self._lock:
            self._requests.append(RequestRecord(method, params, status, time.monotonic()))
        return status, payload

    def _enqueue(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, **body}
        self._next_update_id += 1
        self._updates.append(update)
        self._cond.notify_all()
        return copy.deepcopy(update)

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _command_entities(self, text: str) -> dict[str, Any]:
        match = _COMMAND_RE.match(text)
        if match is None:
            return {}
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(match.group())}
        return {"entities": [entity]}

    def _chat(self, chat_id: int) -> dict[str, Any]:
        """The chat object for an id, inventing a plausible one for never-seen chats."""
        known = self._chats.get(chat_id)
        if known is not None:
            return known
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Ann"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    @staticmethod
    def _chat_id(params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise _bad_request("chat not found")
        return chat_id

    def _formatted(self, params: dict[str, Any]) -> _FormattedText:
        """Validate text + parse_mode the way Telegram does and return the visible result."""
        raw = params.get("text")
        raw = "" if raw is None else str(raw)
        parse_mode = str(params.get("parse_mode") or "")
        if parse_mode.lower() == "html":
            plain, entities = parse_html(raw, strict_ampersand=self.strict_ampersand)
        elif parse_mode.lower() in ("", "markdown", "markdownv2"):
            given = params.get("entities")
            plain, entities = raw, list(given) if isinstance(given, list) else []
        else:
            raise _bad_request("unsupported parse_mode")
        formatted = _trim(plain, entities)
        if not formatted.text:
            raise _bad_request("message text is empty")
        if _utf16_len(formatted.text) > MAX_MESSAGE_LENGTH:  # Telegram counts UTF-16 units
            raise _bad_request("message is too long")
        return formatted

    @staticmethod
    def _markup(params: dict[str, Any], *, inline_only: bool) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup)
        elif inline_only:
            raise _bad_request("inline keyboard expected")
        return markup

    def _check_flood(self, chat_id: int) -> None:
        """Consume a token from the chat's and the bot's bucket, or raise 429."""
        now = time.monotonic()
        buckets = []
        if self.per_chat_burst is not None:
            bucket = self._chat_buckets.setdefault(
                chat_id,
                _TokenBucket(self.per_chat_burst, self.per_chat_rate, self.per_chat_burst, now),
            )
            buckets.append(bucket)
        if self.global_rate is not None:
            if self._global_bucket is None:
                self._global_bucket = _TokenBucket(
                    self.global_rate, self.global_rate, self.global_rate, now
                )
            buckets.append(self._global_bucket)
        wait = max((b.wait_time(now) for b in buckets), default=0.0)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for bucket in buckets:
            bucket.tokens -= 1

    def _record(self, method: str, stored: _StoredMessage) -> None:
        message = stored.message
        self._sent.append(
            SentRecord(
                method=method,
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
                text=message["text"],
                raw_text=stored.raw_text,
                parse_mode=stored.parse_mode,
                reply_markup=copy.deepcopy(message.get("reply_markup")),
                entities=copy.deepcopy(message.get("entities", [])),
                time=time.monotonic(),
                thread_id=message.get("message_thread_id"),
            )
        )

    def _stored_for_edit(self, params: dict[str, Any]) -> _StoredMessage:
        chat_id = self._chat_id(params)
        message_id = params.get("message_id")
        stored = self._bot_messages.get(chat_id, {}).get(message_id)
        if stored is None:
            if (chat_id, message_id) in self._foreign_messages:
                raise _bad_request("message can't be edited")
            raise _bad_request("message to edit not found")
        return stored

    # ----- Bot API methods -------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset")
        limit = min(100, max(1, params.get("limit") or 100))
        timeout = min(max(0.0, params.get("timeout") or 0.0), self.max_poll_wait)
        deadline = time.monotonic() + timeout
        with self._cond:
            if isinstance(offset, int) and offset < 0:
                self._updates = self._updates[offset:]
            elif isinstance(offset, int) and offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return copy.deepcopy(self._updates[:limit])

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            with self._lock:
                self._updates.clear()
        return True

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        formatted = self._formatted(params)
        markup = self._markup(params, inline_only=False)
        with self._lock:
            if chat_id in self._blocked:
                reason = (
                    "bot was blocked by the user"
                    if chat_id > 0
                    else "bot was kicked from the group chat"
                )
                raise ApiError(403, f"Forbidden: {reason}")
            if chat_id in self._gone:
                raise _bad_request("chat not found")
            if chat_id in self._migrated:
                error = _bad_request("group chat was upgraded to a supergroup chat")
                error.migrate_to_chat_id = self._migrated[chat_id]
                raise error
            chat = self._chat(chat_id)
            thread_id = params.get("message_thread_id")
            if thread_id is not None and (
                not chat.get("is_forum") or thread_id not in self._topics.get(chat_id, set())
            ):
                raise _bad_request("message thread not found")
            if chat["type"] == "channel" and (chat_id, self.bot_user["id"]) in self._cannot_post:
                raise _bad_request("need administrator rights in the channel chat")
            self._check_flood(chat_id)
            message: dict[str, Any] = {
                "message_id": self._new_message_id(chat_id),
                "date": int(time.time()),
                "chat": chat,
            }
            if chat["type"] == "channel":
                message["sender_chat"] = chat
            else:
                message["from"] = dict(self.bot_user)
            if thread_id is not None:
                message["message_thread_id"] = thread_id
                message["is_topic_message"] = True
            message["text"] = formatted.text
            if formatted.entities:
                message["entities"] = formatted.entities
            if markup is not None and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            stored = _StoredMessage(message, str(params["text"]), params.get("parse_mode"))
            self._bot_messages.setdefault(chat_id, {})[message["message_id"]] = stored
            self._record("sendMessage", stored)
            return copy.deepcopy(message)

    def _edit(
        self,
        method: str,
        stored: _StoredMessage,
        formatted: _FormattedText,
        markup: dict[str, Any] | None,
        raw_text: str,
        parse_mode: str | None,
    ) -> dict[str, Any]:
        message = stored.message
        if (
            message["text"] == formatted.text
            and message.get("entities", []) == formatted.entities
            and message.get("reply_markup") == markup
        ):
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = formatted.text
        message.pop("entities", None)
        if formatted.entities:
            message["entities"] = formatted.entities
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        stored.raw_text = raw_text
        stored.parse_mode = parse_mode
        self._record(method, stored)
        return copy.deepcopy(message)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        formatted = self._formatted(params)
        markup = self._markup(params, inline_only=True)
        with self._lock:
            stored = self._stored_for_edit(params)
            return self._edit(
                "editMessageText",
                stored,
                formatted,
                markup,
                str(params["text"]),
                params.get("parse_mode"),
            )

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        markup = self._markup(params, inline_only=True)
        with self._lock:
            stored = self._stored_for_edit(params)
            current = _FormattedText(stored.message["text"], stored.message.get("entities", []))
            return self._edit(
                "editMessageReplyMarkup",
                stored,
                current,
                markup,
                stored.raw_text,
                stored.parse_mode,
            )

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        with self._lock:
            if query_id not in self._open_callbacks:
                raise ApiError(400, QUERY_INVALID)
            self._open_callbacks.discard(query_id)
            self._answered.append(
                {
                    key: params.get(key)
                    for key in ("callback_query_id", "text", "show_alert", "url", "cache_time")
                }
            )
        return True

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_NAME_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not str(command.get("description", "")).strip():
                raise _bad_request("command description must be non-empty")
        key = self._commands_key(params)
        with self._lock:
            self._commands[key] = copy.deepcopy(commands)
            self._last_commands = copy.deepcopy(commands)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise _bad_request("invalid user_id specified")
        with self._lock:
            if chat_id in self._gone:
                raise _bad_request("chat not found")
            status = self._member_status.get((chat_id, user_id), "member")
            if user_id == self.bot_user["id"]:
                user = dict(self.bot_user)
            else:
                user = self._users.get(user_id) or _user(user_id, f"User{user_id}", None)
            can_post = (chat_id, user_id) not in self._cannot_post
            return _member(status, copy.deepcopy(user), can_post=can_post)

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        """A chat by id or by @username (public channels and groups)."""
        wanted = params.get("chat_id")
        with self._lock:
            if isinstance(wanted, str) and wanted.startswith("@"):
                name = wanted[1:].lower()
                found = [
                    c for c in self._chats.values() if str(c.get("username", "")).lower() == name
                ]
                if not found:
                    raise _bad_request("chat not found")
                chat = found[0]
            else:
                chat_id = self._chat_id(params)
                if chat_id in self._gone or (chat_id < 0 and chat_id not in self._chats):
                    raise _bad_request("chat not found")
                chat = self._chat(chat_id)
            return {**copy.deepcopy(chat), "accent_color_id": 0, "max_reaction_count": 11}
