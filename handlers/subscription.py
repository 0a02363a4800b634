"""Whether a chat gets alerts: /start, /stop, /pause, /resume and /forget."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import Context
from bot.delivery import reopen
from handlers.buttons import EXPIRED, issue_token, redeem_token
from handlers.common import can_manage, load_chat, reply, services
from handlers.filters import command

__all__ = ["HANDLERS"]

WELCOME = (
    "<b>Newswatch</b> is watching the news for this chat.\n"
    "Tell it what to look for, in any spelling:\n"
    "/watch Lachin\n"
    '/watch Karabakh, "peace treaty"\n'
    "/latest\n"
    "Send /help for every command."
)


async def start(update: Update, context: Context) -> None:
    """Subscribe the chat (again) and show how to begin."""
    if not await can_manage(update, context):
        return
    chat = await load_chat(update, context, create=True)
    assert chat is not None
    chat.subscribed = True
    chat.paused = False
    await services(context).store.save_chat(chat)
    if chat.unreachable:  # reachable again: the mark goes and what was set aside goes out
        await reopen(services(context).store, chat.chat_id, context.bot_data.sender)
    await reply(update, WELCOME)


async def _set_flags(update: Update, context: Context, **flags: bool) -> bool:
    """Change the chat's subscription flags; False when there was nothing to change."""
    if not await can_manage(update, context):
        return False
    chat = await load_chat(update, context, create=False)
    if chat is None:
        await reply(update, "This chat is not subscribed. Send /start first.")
        return False
    for name, value in flags.items():
        setattr(chat, name, value)
    await services(context).store.save_chat(chat)
    return True


async def pause(update: Update, context: Context) -> None:
    """Hold alerts without touching the watchlist."""
    if await _set_flags(update, context, paused=True):
        await reply(update, "Alerts are paused. Your watchlist is kept; /resume to start again.")


async def resume(update: Update, context: Context) -> None:
    """Let alerts flow again after /pause (or /stop)."""
    if await _set_flags(update, context, paused=False, subscribed=True):
        await reply(update, "Alerts are on again.")


async def stop(update: Update, context: Context) -> None:
    """Unsubscribe but keep the watchlist, so a later /start picks up where it left off."""
    if await _set_flags(update, context, subscribed=False):
        await reply(
            update,
            "Unsubscribed. Your watchlist is kept; send /start to subscribe again, or /forget to delete it.",
        )


FORGET_PREFIX = "forget:"
FORGET_YES = "yes"
FORGET_NO = "no"


async def forget(update: Update, context: Context) -> None:
    """Ask before deleting everything stored about the chat; the buttons work once, for a while."""
    if not await can_manage(update, context):
        return
    assert context.chat_data is not None  # a command always comes from a chat
    token = issue_token(context.chat_data, "forget")
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "Yes, delete everything", callback_data=f"{FORGET_PREFIX}{FORGET_YES}:{token}"
                ),
                InlineKeyboardButton("Cancel", callback_data=f"{FORGET_PREFIX}{FORGET_NO}:{token}"),
            ]
        ]
    )
    await reply(
        update,
        "Delete this chat's watchlist and settings? This cannot be undone.",
        reply_markup=buttons,
    )


async def forget_answer(update: Update, context: Context) -> None:
    """Carry out or cancel /forget, and replace the question with the outcome.

    Only a live token from this chat's own prompt counts: a forged, reused or expired one (or
    one from before a restart) deletes nothing and edits nothing, since the message it came
    with may be any of the bot's messages.
    """
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    if not await can_manage(update, context):
        return
    choice, _, token = (query.data or "").removeprefix(FORGET_PREFIX).partition(":")
    if choice not in (FORGET_YES, FORGET_NO) or not redeem_token(
        context.chat_data, "forget", token
    ):
        await query.answer(EXPIRED)
        return
    if choice == FORGET_YES:
        await services(context).store.delete_chat(update.effective_chat.id)
        await query.answer("Deleted.")
        await query.edit_message_text(
            "Everything stored about this chat is deleted. Send /start to begin again."
        )
    else:
        await query.answer()
        await query.edit_message_text("Nothing was deleted.")


HANDLERS = [
    command("start", start),
    command("pause", pause),
    command("resume", resume),
    command("stop", stop),
    command("forget", forget),
    CallbackQueryHandler(forget_answer, pattern=f"^{FORGET_PREFIX}"),
]
