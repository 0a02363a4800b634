"""Where alerts go: a channel managed from a private chat (/channel), and groups that became
supergroups (their record follows them to the new id)."""

from __future__ import annotations

import logging
import re

from telegram import ChatMemberAdministrator, ChatMemberOwner, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import MessageHandler, filters

from bot.context import Context
from bot.render import echo, escape
from bot.store import Chat
from handlers.common import argument_text, is_admin, reply, services
from handlers.filters import command

__all__ = ["HANDLERS"]

logger = logging.getLogger(__name__)

USAGE = (
    "Manage a channel's alerts from here: add me to the channel as an administrator who may "
    "post messages, then send\n<code>/channel @yourchannel</code>\n"
    "/watch, /unwatch, /list, /latest, /pause and /resume then apply to the channel until "
    "<code>/channel off</code>."
)
PRIVATE_ONLY = "Send /channel in a private chat with me."
_CHAT_ID = re.compile(r"-?[0-9]{1,20}")
"""A chat id as written: ASCII digits only ("²" is a digit to str.isdigit(), not to int())."""


async def channel(update: Update, context: Context) -> None:
    """Point the following commands of this private chat at a channel, or back (`off`)."""
    tg_chat, user = update.effective_chat, update.effective_user
    if tg_chat is None or user is None or tg_chat.type != ChatType.PRIVATE:
        await reply(update, PRIVATE_ONLY)
        return
    store = services(context).store
    own = store.chats.get(tg_chat.id)
    wanted = argument_text(update).strip()
    if not wanted:
        current = store.chats.get(own.manages) if own and own.manages else None
        if current is not None:
            await reply(
                update,
                f"Commands here apply to <b>{echo(current.title, 100)}</b>. "
                "Send <code>/channel off</code> to manage this chat again.\n\n" + USAGE,
            )
        else:
            await reply(update, USAGE)
        return
    if wanted.lower() == "off":
        if own is not None and own.manages is not None:
            own.manages = None
            await store.chats.save(own)
        await reply(update, "Commands apply to this chat again.")
        return
    target = await _checked_channel(update, context, wanted, user.id)
    if target is None:
        return
    channel_id, title = target
    if store.chats.get(channel_id) is None:
        await store.chats.save(Chat(channel_id, kind=ChatType.CHANNEL, title=title))
    if own is None:
        own = Chat(tg_chat.id, kind=ChatType.PRIVATE, title=tg_chat.effective_name or "")
    own.manages = channel_id
    await store.chats.save(own)
    logger.info("user %s manages channel %s from chat %s", user.id, channel_id, tg_chat.id)
    await reply(
        update,
        f"Commands here now apply to <b>{echo(title, 100)}</b>: /watch, /unwatch, /list, "
        "/latest, /pause and /resume. Alerts go to the channel. "
        "Send <code>/channel off</code> to manage this chat again.",
    )


async def _checked_channel(
    update: Update, context: Context, wanted: str, user_id: int
) -> tuple[int, str] | None:
    """The channel's id and title when the user administers it and the bot may post there;
    otherwise None, after telling the user why."""
    chat_id = int(wanted) if _CHAT_ID.fullmatch(wanted) else None
    name = wanted if chat_id is not None or wanted.startswith("@") else f"@{wanted}"
    shown = echo(name, 60)
    try:
        found = await context.bot.get_chat(name if chat_id is None else chat_id)
    except (BadRequest, Forbidden) as error:
        logger.info("/channel %s: %s", name, error)
        await reply(update, f"I can't find the channel {shown}. Check its @name; I must be in it.")
        return None
    except TelegramError as error:
        logger.warning("/channel %s: %s", name, error)
        await reply(update, "Telegram did not answer; please try again in a minute.")
        return None
    if found.type != ChatType.CHANNEL:
        await reply(update, f"{shown} is not a channel. In a group, send commands in the group.")
        return None
    title = found.title or name
    if not await is_admin(context, found.id, user_id):
        await reply(
            update,
            f"Only administrators of <b>{escape(title)}</b> can manage its alerts, "
            "and Telegram says you are not one.",
        )
        return None
    if not await _bot_can_post(context, found.id):
        await reply(
            update,
            f"I can't post in <b>{escape(title)}</b>. Add me to it as an administrator "
            "with the right to post messages, then send /channel again.",
        )
        return None
    return found.id, title


async def _bot_can_post(context: Context, channel_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(channel_id, context.bot.id)
    except TelegramError as error:
        logger.info("could not check the bot's rights in channel %s: %s", channel_id, error)
        return False
    if isinstance(member, ChatMemberOwner):
        return True
    return isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)


async def migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: its watchlist, settings and pending alerts move to the new
    id, so alerts keep coming and /list there shows the watchlist. Telegram sends the notice in
    both chats; the second finds nothing left to move."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    store = services(context).store
    if store.chats.get(old) is not None:
        await store.move_chat(old, new)
        logger.info("chat %s became supergroup %s: its record moved", old, new)


HANDLERS = [
    command("channel", channel),
    MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
]
