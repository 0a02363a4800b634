"""The fake's world: chats, the people in them, their messages and the bot's, and what was
sent; with the test-side calls that make things happen in it (a user writes, taps a button, a
group migrates, a chat blocks the bot, a channel names its administrators)."""

from __future__ import annotations

import copy
import re
import threading
import time
from typing import Any

from fakes.telegram.html import utf16_len
from fakes.telegram.records import (
    ANONYMOUS_ADMIN_BOT_ID,
    BOT_FIRST_NAME,
    BOT_USERNAME,
    MEMBER_STATUSES,
    RequestRecord,
    SentRecord,
    StoredMessage,
    make_user,
)

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")


class World:
    """Everything Telegram would know about the bot's chats, guarded by one lock (``_cond``
    wakes long polls when an update is queued)."""

    def __init__(self, token: str) -> None:
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
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id: dict[int, int] = {}
        self._next_callback_id = 1
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._bot_messages: dict[int, dict[int, StoredMessage]] = {}
        self._foreign_messages: set[tuple[int, int]] = set()
        self._open_callbacks: set[str] = set()
        self._blocked: set[int] = set()
        self._gone: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._topics: dict[int, set[int]] = {}
        self._cannot_post: set[tuple[int, int]] = set()
        self.outage_status: int | None = None
        self._member_status: dict[tuple[int, int], str] = {}
        self._commands: dict[str, list[dict[str, Any]]] = {}
        self._last_commands: list[dict[str, Any]] | None = None
        self._sent: list[SentRecord] = []
        self._requests: list[RequestRecord] = []
        self._answered: list[dict[str, Any]] = []

    # ----- what people do in chats -----------------------------------------------------------

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
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Queue a user's text message; returns the update as PTB will receive it.
        ``language_code`` is the language of the user's Telegram client, as Telegram sends it.

        With ``anonymous_admin`` the message comes, as in Telegram, from @GroupAnonymousBot with
        the group itself as ``sender_chat``. With ``thread_id`` it is posted in that topic of a
        forum supergroup (see :meth:`add_forum`).
        """
        if chat_type == "private":
            if chat_id <= 0 or user_id not in (None, chat_id):
                raise ValueError("a private chat's id is the user's (positive) id")
            if anonymous_admin:
                raise ValueError("only groups have anonymous admins")
            sender = chat_id
            chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": first_name}
            if username:
                chat["username"] = username
        elif chat_type in ("group", "supergroup"):
            if chat_id >= 0:
                raise ValueError("group chat ids are negative and need a user_id")
            if anonymous_admin:
                sender, first_name, username = ANONYMOUS_ADMIN_BOT_ID, "Group", "GroupAnonymousBot"
            elif user_id is None:
                raise ValueError("group chat ids are negative and need a user_id")
            else:
                sender = user_id
            chat = {"id": chat_id, "type": chat_type, "title": chat_title or f"Group {chat_id}"}
            if self._chats.get(chat_id, {}).get("is_forum"):
                chat["is_forum"] = True
        else:
            raise ValueError(f"unsupported chat_type {chat_type!r}; use push_channel_post")
        user = make_user(sender, first_name, username)
        if anonymous_admin:
            user["is_bot"] = True
        if language_code:
            user["language_code"] = language_code
        with self._cond:
            self._chats[chat_id] = chat
            self._users[sender] = user
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
            user = self._users.get(user_id) or make_user(user_id, "Ann", None)
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

    # ----- how chats are ----------------------------------------------------------------------

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
                    "from": make_user(ANONYMOUS_ADMIN_BOT_ID, "Group", "GroupAnonymousBot"),
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
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown chat member status {status!r}")
        with self._lock:
            self._member_status[(chat_id, user_id)] = status

    # ----- helpers ---------------------------------------------------------------------------

    def _enqueue(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (under the condition) and wake the long polls."""
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
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}
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
