"""What Telegram refuses before it sends or changes anything: a message's text and parse mode,
its keyboard, a command list, and flood control's token bucket. Each check raises the
``ApiError`` Telegram would answer with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fakes.telegram.errors import bad_request
from fakes.telegram.html import FormattedText, parse_html, trim, utf16_len

MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
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
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")


@dataclass
class TokenBucket:
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


def chat_id(params: dict[str, Any]) -> int:
    """The numeric ``chat_id`` of a call (an unknown ``@username`` is a chat not found)."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    if not isinstance(value, int):
        raise bad_request("chat not found")
    return value


def formatted_text(params: dict[str, Any], *, strict_ampersand: bool) -> FormattedText:
    """Validate text + parse_mode the way Telegram does and return the visible result."""
    raw = params.get("text")
    raw = "" if raw is None else str(raw)
    parse_mode = str(params.get("parse_mode") or "")
    if parse_mode.lower() == "html":
        plain, entities = parse_html(raw, strict_ampersand=strict_ampersand)
    elif parse_mode.lower() in ("", "markdown", "markdownv2"):
        given = params.get("entities")
        plain, entities = raw, list(given) if isinstance(given, list) else []
    else:
        raise bad_request("unsupported parse_mode")
    formatted = trim(plain, entities)
    if not formatted.text:
        raise bad_request("message text is empty")
    if utf16_len(formatted.text) > MAX_MESSAGE_LENGTH:  # Telegram counts UTF-16 units
        raise bad_request("message is too long")
    return formatted


def reply_markup(params: dict[str, Any], *, inline_only: bool) -> dict[str, Any] | None:
    """The call's ``reply_markup``, checked (edits take inline keyboards only)."""
    markup = params.get("reply_markup")
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup)
    elif inline_only:
        raise bad_request("inline keyboard expected")
    return markup


def _check_inline_keyboard(markup: dict[str, Any]) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    for button in (b for row in rows for b in row):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request(
                'can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        if not _BUTTON_ACTIONS & button.keys():
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are "
                "unallowed in the inline keyboard"
            )
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if url is not None:
            parts = urlsplit(str(url))
            if parts.scheme not in {"http", "https", "tg"} or not parts.netloc:
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def commands(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``commands`` of a setMyCommands call, checked as Telegram checks them."""
    given = params.get("commands")
    if not isinstance(given, list) or len(given) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in given:
        if not isinstance(command, dict) or not _BOT_COMMAND_NAME_RE.fullmatch(
            str(command.get("command", ""))
        ):
            raise bad_request("BOT_COMMAND_INVALID")
        if not str(command.get("description", "")).strip():
            raise bad_request("command description must be non-empty")
    return given
