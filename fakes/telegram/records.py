"""What the fake records (each message sent or edited, each request) and the Telegram objects it
builds for people in chats (users, chat members with the fields PTB 22 requires)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
BOT_FIRST_NAME = "Newswatch"
BOT_USERNAME = "newswatch_test_bot"
ANONYMOUS_ADMIN_BOT_ID = 1087968824  # @GroupAnonymousBot, the sender of anonymous admins' messages
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})


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
class StoredMessage:
    """A message the bot sent, as it is now, with the text and parse mode it was last given."""

    message: dict[str, Any]
    raw_text: str
    parse_mode: str | None


def make_user(user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
    """A (human) User object."""
    user: dict[str, Any] = {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": "en",
    }
    if username:
        user["username"] = username
    return user


def make_member(status: str, user: dict[str, Any], *, can_post: bool = True) -> dict[str, Any]:
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
