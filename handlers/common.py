"""Checks and helpers every handler module shares: services, the chat record, who may change it."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from telegram import Chat as TelegramChat
from telegram import ChatMember, LinkPreviewOptions, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.context import Context
from bot.render import MAX_MESSAGE_LENGTH, echo
from bot.store import Chat

if TYPE_CHECKING:
    from bot.services import Services

__all__ = [
    "CHANNEL_COMMANDS",
    "argument_text",
    "bulleted",
    "can_manage",
    "is_admin",
    "load_chat",
    "managed_channel",
    "reply",
    "services",
    "split_message",
    "topic",
    "visible_length",
]

logger = logging.getLogger(__name__)

_MANAGERS = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)

_TAG = re.compile(r"<[^<>]*>")
_TAG_NAME = re.compile(r"<([\w-]+)")
_TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|.", re.DOTALL)
"""A tag, an entity or one character: the units a line of HTML is cut between. Handlers escape
every `<` and `&` of text, so a raw `<` always starts a tag and a raw `&` an entity."""
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
REFUSAL = "Sorry, only this group's administrators can change its watchlist and settings."
CHANNEL_REFUSAL = (
    "You are no longer an administrator of {name}, so you cannot change its watchlist. "
    "Send /channel off to manage this chat again."
)
CHANNEL_COMMANDS = frozenset({"watch", "unwatch", "list", "latest", "pause", "resume"})
"""The commands that /channel points at a channel (and the /unwatch buttons)."""


def services(context: Context) -> Services:
    """The long-lived services (settings, store, aliases) that `build_application` made."""
    return context.bot_data.services


def argument_text(update: Update) -> str:
    """Everything after the command word, with the user's own spacing and quotes intact."""
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1) if message else []
    return parts[1] if len(parts) > 1 else ""


def bulleted(items: Sequence[str], shown: int) -> list[str]:
    """Bullet lines for the first `shown` items, then one saying how many more there are, so a
    reply about a thousand keywords stays short."""
    lines = [f"• {item}" for item in items[:shown]]
    if len(items) > shown:
        lines.append(f"• … and {len(items) - shown} more")
    return lines


def visible_length(text: str) -> int:
    """How long Telegram finds HTML `text`: tags removed, entities decoded, in UTF-16 code units
    (an emoji counts two), which is how its limit is measured."""
    plain = html.unescape(_TAG.sub("", text))
    return len(plain.encode("utf-16-le")) // 2


def _cut_line(line: str, limit: int) -> list[str]:
    """Cut one over-long line of HTML into pieces of at most `limit` visible units.

    Cuts fall between characters, never inside a tag or an entity; tags open at a cut are
    closed before it and opened again after it, so every piece is valid HTML on its own.
    """
    pieces: list[str] = []
    current, used = "", 0
    open_tags: list[str] = []
    for token in _TOKEN.findall(line):
        if token.startswith("</"):
            current += token
            if open_tags:
                open_tags.pop()
            continue
        if token.startswith("<"):
            current += token
            open_tags.append(token)
            continue
        size = visible_length(token)
        if used and used + size > limit:
            pieces.append(current + "".join(_closing(tag) for tag in reversed(open_tags)))
            current, used = "".join(open_tags), 0
        current += token
        used += size
    pieces.append(current)
    return pieces


def _closing(tag: str) -> str:
    """The end tag that closes the start tag `tag`."""
    name = _TAG_NAME.match(tag)
    return f"</{name.group(1)}>" if name else ""


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Cut HTML text into messages Telegram accepts, at line breaks, so no HTML tag is split
    (each line is balanced HTML, as handlers write it).

    Every line the handlers write is short (rendered fields and echoed input are bounded), so a
    line is cut only as a last resort, which is logged: then pieces are cut between characters
    with their tags closed and reopened (`_cut_line`). No chunk is ever over `limit`, and none
    is blank (Telegram refuses an empty message).
    """
    chunks: list[str] = []
    current, used = "", 0
    for line in text.split("\n"):
        size = visible_length(line)
        pieces = [line]
        if size > limit:
            logger.warning("a reply line of %d characters had to be cut", size)
            pieces = _cut_line(line, limit)
        for piece in pieces:
            size = visible_length(piece)
            if current and used + 1 + size > limit:
                chunks.append(current)
                current, used = piece, size
            elif current:
                current, used = f"{current}\n{piece}", used + 1 + size
            else:
                current, used = piece, size
    chunks.append(current)
    shown = [chunk for chunk in chunks if html.unescape(_TAG.sub("", chunk)).strip()]
    return shown or chunks[:1]


async def reply(update: Update, text: str, **kwargs: object) -> None:
    """Answer in the chat the update came from, in several messages if it is long.

    Buttons (`reply_markup`) go on the last message; link previews are off, since replies list
    several links and a preview of the first would only add noise.
    """
    message = update.effective_message
    if message is None:
        return
    *head, last = split_message(text)
    for chunk in head:
        await message.reply_text(chunk, link_preview_options=NO_PREVIEW)
    await message.reply_text(last, link_preview_options=NO_PREVIEW, **kwargs)  # type: ignore[arg-type]


def topic(update: Update) -> int | None:
    """The forum topic the message was posted in (its alerts go there), or None."""
    message = update.effective_message
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return None


def _command(update: Update) -> str:
    """The command word of the update (`watch` for `/watch@bot x`), or of the button tapped."""
    if update.callback_query is not None:
        return (update.callback_query.data or "").partition(":")[0]
    message = update.effective_message
    word = (message.text or "").split(maxsplit=1)[0] if message and message.text else ""
    return word.removeprefix("/").partition("@")[0].lower()


async def managed_channel(update: Update, context: Context) -> Chat | None:
    """The channel this update's command applies to instead of its own chat: set by /channel in
    a private chat, for the commands in CHANNEL_COMMANDS only."""
    tg_chat = update.effective_chat
    if tg_chat is None or tg_chat.type != ChatType.PRIVATE:
        return None
    if _command(update) not in CHANNEL_COMMANDS:
        return None
    store = services(context).store
    own = store.chats.get(tg_chat.id)
    if own is None or own.manages is None:
        return None
    return store.chats.get(own.manages) or Chat(own.manages, kind=ChatType.CHANNEL)


async def load_chat(update: Update, context: Context, *, create: bool) -> Chat | None:
    """The stored record of the chat the command acts on (this chat, or the channel it manages
    with /channel); with `create`, a fresh subscribed one when there is none."""
    channel = await managed_channel(update, context)
    if channel is not None:
        return channel
    tg_chat: TelegramChat = update.effective_chat  # type: ignore[assignment]
    chat = services(context).store.chats.get(tg_chat.id)
    if chat is None and create:
        chat = Chat(chat_id=tg_chat.id, kind=tg_chat.type, title=tg_chat.effective_name or "")
    return chat


async def is_admin(context: Context, chat_id: int, user_id: int) -> bool:
    """Whether the user administers the group or channel (False when Telegram cannot tell us)."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as error:
        logger.warning("could not check admin rights in chat %s: %s", chat_id, error)
        return False
    return member.status in _MANAGERS


async def _refuse(update: Update, refusal: str) -> None:
    """Say no: as an alert on a tapped button (so its spinner stops), else as a reply."""
    if update.callback_query is not None:
        await update.callback_query.answer(refusal, show_alert=True)
    else:
        await reply(update, refusal)


async def can_manage(update: Update, context: Context) -> bool:
    """True when the sender may change this chat's settings; otherwise refuse politely.

    Anyone may in a private chat, except for a channel it manages with /channel: there the
    sender must still be one of the channel's administrators. In a channel only admins can post
    at all; in a group the sender must be an administrator (an anonymous admin posts as the
    group itself).
    """
    chat = update.effective_chat
    channel = await managed_channel(update, context)
    if channel is not None and update.effective_user is not None:
        if await is_admin(context, channel.chat_id, update.effective_user.id):
            return True
        await _refuse(
            update, CHANNEL_REFUSAL.format(name=echo(channel.title or str(channel.chat_id)))
        )
        return False
    if chat is None or chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        return True
    message = update.effective_message
    if (
        message is not None
        and message.sender_chat is not None
        and message.sender_chat.id == chat.id
    ):
        return True
    user = update.effective_user
    if user is not None and await is_admin(context, chat.id, user.id):
        return True
    await _refuse(update, REFUSAL)
    return False
