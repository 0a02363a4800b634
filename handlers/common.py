"""Checks and helpers every handler module shares: services, the chat record, who may change it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Chat as TelegramChat
from telegram import ChatMember, LinkPreviewOptions, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.storage import Chat

if TYPE_CHECKING:
    from bot.services import Services

__all__ = ["argument_text", "can_manage", "load_chat", "reply", "services", "split_message"]

logger = logging.getLogger(__name__)

_MANAGERS = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


MAX_MESSAGE_LENGTH = 4096
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
REFUSAL = "Sorry, only this group's administrators can change its watchlist and settings."


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The long-lived services (settings, store, aliases) that `build_application` put in bot_data."""
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


def argument_text(update: Update) -> str:
    """Everything after the command word, with the user's own spacing and quotes intact."""
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1) if message else []
    return parts[1] if len(parts) > 1 else ""


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Cut text into messages Telegram accepts, at line breaks, so no HTML tag is split.

    Every line the handlers write is short (keywords are at most 100 characters, other echoed
    input is shortened), so a line never needs cutting itself; the raw HTML is counted, which is
    never less than what Telegram counts.
    """
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    chunks.append(current)
    return chunks


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


async def load_chat(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, create: bool
) -> Chat | None:
    """The stored record of this chat; with `create`, a fresh subscribed one when there is none."""
    tg_chat: TelegramChat = update.effective_chat  # type: ignore[assignment]
    chat = await services(context).store.get_chat(tg_chat.id)
    if chat is None and create:
        chat = Chat(chat_id=tg_chat.id, kind=tg_chat.type, title=tg_chat.effective_name or "")
    return chat


async def can_manage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True when the sender may change this chat's settings; otherwise refuse politely.

    Anyone may in a private chat; in a channel only admins can post at all; in a group the sender
    must be an administrator (an anonymous admin posts as the group itself).
    """
    chat = update.effective_chat
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
    if user is not None:
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except TelegramError as error:
            logger.warning("could not check admin rights in chat %s: %s", chat.id, error)
        else:
            if member.status in _MANAGERS:
                return True
    if update.callback_query is not None:
        await update.callback_query.answer(REFUSAL, show_alert=True)
    else:
        await reply(update, REFUSAL)
    return False
