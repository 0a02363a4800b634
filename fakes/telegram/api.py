"""The Bot API methods the fake answers (getMe, getUpdates, sendMessage, edits, callbacks,
commands, chats and members), with Telegram's checks and flood control, over the world's state.

``BotApi._handle`` takes one HTTP request from the transport: it checks the token, finds the
method, decodes the parameters, runs the method and records the request.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fakes.telegram import checks
from fakes.telegram.checks import TokenBucket
from fakes.telegram.errors import NOT_MODIFIED, QUERY_INVALID, ApiError, bad_request
from fakes.telegram.html import FormattedText
from fakes.telegram.records import (
    DEFAULT_TOKEN,
    RequestRecord,
    SentRecord,
    StoredMessage,
    make_member,
    make_user,
)
from fakes.telegram.transport import request_params
from fakes.telegram.world import World

logger = logging.getLogger(__name__)

TELEGRAM_MAX_POLL_TIMEOUT = 50.0


class BotApi(World):
    """The world, answering Bot API calls as Telegram would."""

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
        super().__init__(token)
        self.per_chat_burst = per_chat_burst
        self.per_chat_rate = per_chat_rate
        self.global_rate = global_rate
        self.strict_ampersand = strict_ampersand
        self.max_poll_wait = max_poll_wait
        self._stopping = False  # set on stop: long polls return at once
        self.waiting_polls = 0
        """getUpdates calls waiting for an update now (a test's barrier: the long poll is in)."""
        self._chat_buckets: dict[int, TokenBucket] = {}
        self._global_bucket: TokenBucket | None = None
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
            params = request_params(parts.query, content_type, body)
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

    def _check_flood(self, chat_id: int) -> None:
        """Consume a token from the chat's and the bot's bucket, or raise 429."""
        now = time.monotonic()
        buckets = []
        if self.per_chat_burst is not None:
            bucket = self._chat_buckets.setdefault(
                chat_id,
                TokenBucket(self.per_chat_burst, self.per_chat_rate, self.per_chat_burst, now),
            )
            buckets.append(bucket)
        if self.global_rate is not None:
            if self._global_bucket is None:
                self._global_bucket = TokenBucket(
                    self.global_rate, self.global_rate, self.global_rate, now
                )
            buckets.append(self._global_bucket)
        wait = max((b.wait_time(now) for b in buckets), default=0.0)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for bucket in buckets:
            bucket.tokens -= 1

    def _record(self, method: str, stored: StoredMessage) -> None:
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

    def _stored_for_edit(self, params: dict[str, Any]) -> StoredMessage:
        chat_id = checks.chat_id(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise bad_request("message to edit not found")
        stored = self._bot_messages.get(chat_id, {}).get(message_id)
        if stored is None:
            if (chat_id, message_id) in self._foreign_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
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
                self.waiting_polls += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self.waiting_polls -= 1
            return copy.deepcopy(self._updates[:limit])

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            with self._lock:
                self._updates.clear()
        return True

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = checks.chat_id(params)
        formatted = checks.formatted_text(params, strict_ampersand=self.strict_ampersand)
        markup = checks.reply_markup(params, inline_only=False)
        with self._lock:
            if chat_id in self._blocked:
                reason = (
                    "bot was blocked by the user"
                    if chat_id > 0
                    else "bot was kicked from the group chat"
                )
                raise ApiError(403, f"Forbidden: {reason}")
            if chat_id in self._gone:
                raise bad_request("chat not found")
            if chat_id in self._migrated:
                error = bad_request("group chat was upgraded to a supergroup chat")
                error.migrate_to_chat_id = self._migrated[chat_id]
                raise error
            chat = self._chat(chat_id)
            thread_id = params.get("message_thread_id")
            if thread_id is not None and (
                not chat.get("is_forum") or thread_id not in self._topics.get(chat_id, set())
            ):
                raise bad_request("message thread not found")
            if chat["type"] == "channel" and (chat_id, self.bot_user["id"]) in self._cannot_post:
                raise bad_request("need administrator rights in the channel chat")
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
            stored = StoredMessage(message, str(params["text"]), params.get("parse_mode"))
            self._bot_messages.setdefault(chat_id, {})[message["message_id"]] = stored
            self._record("sendMessage", stored)
            return copy.deepcopy(message)

    def _edit(
        self,
        method: str,
        stored: StoredMessage,
        formatted: FormattedText,
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
        formatted = checks.formatted_text(params, strict_ampersand=self.strict_ampersand)
        markup = checks.reply_markup(params, inline_only=True)
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
        markup = checks.reply_markup(params, inline_only=True)
        with self._lock:
            stored = self._stored_for_edit(params)
            current = FormattedText(stored.message["text"], stored.message.get("entities", []))
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
        commands = checks.commands(params)
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
        chat_id = checks.chat_id(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("invalid user_id specified")
        with self._lock:
            if chat_id in self._gone:
                raise bad_request("chat not found")
            status = self._member_status.get((chat_id, user_id), "member")
            if user_id == self.bot_user["id"]:
                user = dict(self.bot_user)
            else:
                user = self._users.get(user_id) or make_user(user_id, f"User{user_id}", None)
            can_post = (chat_id, user_id) not in self._cannot_post
            return make_member(status, copy.deepcopy(user), can_post=can_post)

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
                    raise bad_request("chat not found")
                chat = found[0]
            else:
                chat_id = checks.chat_id(params)
                if chat_id in self._gone or (chat_id < 0 and chat_id not in self._chats):
                    raise bad_request("chat not found")
                chat = self._chat(chat_id)
            return {**copy.deepcopy(chat), "accent_color_id": 0, "max_reaction_count": 11}
