"""What is left over: unknown commands get a pointer to /help, so does text without a slash in a
private chat, and errors get logged once."""

from __future__ import annotations

import logging
from time import monotonic

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import MessageHandler, filters

from bot.context import Context
from bot.render import echo
from handlers.commands import COMMANDS
from handlers.common import reply

__all__ = ["HANDLERS", "HINT", "on_error"]

logger = logging.getLogger(__name__)

HINT = 'Commands start with "/": try /watch Lachin, or /help.'
_COMMAND_NAMES = frozenset(c.name for c in COMMANDS)
HINT_EVERY_SECONDS = 600.0
"""The general hint goes to a chat at most this often: a person needs it once, and a hundred
chats chatting away must not get more replies than the bot may send (30 a second for all)."""


HINTS_REMEMBERED = 10_000
"""Chats whose hint time is kept; past that the oldest are forgotten (and may get it again)."""


def _hint_due(hinted: dict[int, float], chat_id: int) -> bool:
    """Whether this chat may get the general hint now (and note in `hinted` that it did).

    `hinted` is kept in the order the hints went out, so the stale and the oldest entries are
    always at its front: each call drops those, and the memory stays bounded by
    HINTS_REMEMBERED however many chats write."""
    now = monotonic()
    while hinted and (
        len(hinted) >= HINTS_REMEMBERED or now - next(iter(hinted.values())) >= HINT_EVERY_SECONDS
    ):
        del hinted[next(iter(hinted))]
    if chat_id in hinted:
        return False
    hinted[chat_id] = now
    return True


async def unknown_command(update: Update, context: Context) -> None:
    """Answer a command this bot does not have; in groups only when it was addressed to us."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split(maxsplit=1)[0]
    name, _, addressee = word.partition("@")
    in_group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return
    if in_group and not addressee:
        return  # probably meant for another bot in the group
    await reply(update, f"I don't know the command {echo(name)}. Send /help to see what I can do.")


async def plain_text(update: Update, context: Context) -> None:
    """Text without a slash in a private chat gets a one-line hint (the general one at most every
    HINT_EVERY_SECONDS); a command's name typed without it ("watch Lachin") is given back as the
    command. Only private chats: in a group or channel the bot would answer people talking to
    each other."""
    message = update.effective_message
    words = (message.text or "").split(maxsplit=1) if message is not None else []
    if words and words[0].lower() in _COMMAND_NAMES:
        command = echo(" ".join([f"/{words[0].lower()}", *words[1:]]), 200)
        await reply(update, f'Commands start with "/": try <code>{command}</code>.')
    elif message is not None and _hint_due(context.bot_data.hinted, message.chat_id):
        await reply(update, HINT)


SORRY = "Sorry, something went wrong. Please try again later."


async def on_error(update: object, context: Context) -> None:
    """Log every unhandled error with its traceback, and tell the user something went wrong.

    A failed button tap is answered with the apology, so its spinner stops; when the handler
    had already answered it, the apology goes to the chat instead.
    """
    logger.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(SORRY)
            return
        except TelegramError:  # answered before the failure; say it in the chat
            pass
        message = query.message if isinstance(query.message, Message) else None
    else:
        message = update.effective_message
    if message is None:
        return
    try:
        await message.reply_text(SORRY)
    except Exception:  # the chat may be unreachable; the error is already logged
        logger.debug("could not tell the chat about the error", exc_info=True)


HANDLERS = [
    MessageHandler(
        filters.COMMAND & (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST),
        unknown_command,
    ),
    MessageHandler(
        filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE,
        plain_text,
    ),
]
