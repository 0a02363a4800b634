"""Whether a chat gets alerts: /start, /stop, /pause, /resume and /forget."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import Context
from bot.delivery import reopen
from bot.render import echo
from bot.store import Chat
from handlers.buttons import EXPIRED, issue_token, redeem_token
from handlers.common import bulleted, can_manage, load_chat, reply, services
from handlers.filters import command
from handlers.language import client_language
from handlers.latest import SCANNED, count_since
from watchers.matching import MAX_KEYWORD_LENGTH

__all__ = ["HANDLERS"]

WELCOME = (
    "<b>Newswatch</b> is watching the news for this chat.\n"
    "Tell it what to look for, in any spelling:\n"
    "/watch Lachin\n"
    '/watch Karabakh, "peace treaty"\n'
    "/latest\n"
    "Send /help for every command."
)
PAUSED = (
    "Alerts are paused. Your watchlist is kept, and reports that match it meanwhile are not "
    "sent: they show up in /latest, and /resume says how many there were."
)
WATCHES_SHOWN = 5  # watches named in the welcome back


async def start(update: Update, context: Context) -> None:
    """Subscribe the chat (again) and show how to begin, or, to a chat that has a watchlist,
    what it watches."""
    if not await can_manage(update, context):
        return
    chat = await load_chat(update, context, create=True)
    assert chat is not None
    was_on = chat.alerts_on
    paused = await _while_paused(context, chat)
    chat.subscribed = True
    chat.paused, chat.paused_since = False, None
    if not chat.language and chat.kind == "private":
        chat.language = client_language(update)  # its user's client: /language changes it
    await services(context).store.chats.save(chat)
    if chat.unreachable:  # reachable again: the mark goes and what was set aside goes out
        await reopen(services(context).store, chat.chat_id, context.bot_data.sender)
    if not chat.watches:
        await reply(update, WELCOME)
        return
    count = len(chat.watches)
    state = "Alerts are on" if was_on else "Welcome back: alerts are on again"
    heading = f"{state} for your {count} {'watch' if count == 1 else 'watches'}:"
    names = bulleted([echo(k, MAX_KEYWORD_LENGTH) for k in chat.keywords], WATCHES_SHOWN)
    ending = "/list shows the watchlist; /help, every command."
    await reply(update, "\n".join([heading, *names, *paused, ending]))


async def _while_paused(context: Context, chat: Chat) -> list[str]:
    """A line on the reports that matched the watchlist while the chat was paused: they were
    not sent, and wait in /latest. No line when the chat is not paused by /pause."""
    if not chat.paused or chat.paused_since is None:
        return []
    shared = services(context)
    found, capped = await count_since(
        shared.store, shared.aliases, chat.keywords, chat.paused_since
    )
    if not found:
        return ["While paused, no new report matched your watchlist."]
    if capped:
        reports = f"{found:,}+ reports"
        shows = f" (more came in than the {SCANNED:,} newest looked through); /latest shows"
    else:
        reports = "1 report" if found == 1 else f"{found:,} reports"
        shows = "; /latest shows"
    return [f"While paused, {reports} matched your watchlist{shows} the newest."]


async def _changeable(update: Update, context: Context) -> Chat | None:
    """The chat record a subscription command changes, or None (and the user told why)."""
    if not await can_manage(update, context):
        return None
    chat = await load_chat(update, context, create=False)
    if chat is None:
        await reply(update, "This chat is not subscribed. Send /start first.")
    return chat


async def pause(update: Update, context: Context) -> None:
    """Hold alerts without touching the watchlist; what matches meanwhile waits in /latest."""
    chat = await _changeable(update, context)
    if chat is None:
        return
    if not chat.paused:  # a second /pause keeps the first one's time
        chat.paused, chat.paused_since = True, datetime.now(UTC)
        await services(context).store.chats.save(chat)
    await reply(update, PAUSED)


async def resume(update: Update, context: Context) -> None:
    """Let alerts flow again after /pause (or /stop), saying how many reports matched meanwhile."""
    chat = await _changeable(update, context)
    if chat is None:
        return
    paused = await _while_paused(context, chat)
    chat.paused, chat.paused_since, chat.subscribed = False, None, True
    await services(context).store.chats.save(chat)
    await reply(update, "\n".join(["Alerts are on again.", *paused]))


async def stop(update: Update, context: Context) -> None:
    """Unsubscribe but keep the watchlist, so a later /start picks up where it left off."""
    chat = await _changeable(update, context)
    if chat is None:
        return
    chat.subscribed = False
    await services(context).store.chats.save(chat)
    await reply(
        update,
        "Unsubscribed. Your watchlist is kept; send /start to subscribe again, "
        "or /forget to delete it.",
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
    assert query is not None
    assert update.effective_chat is not None
    if not await can_manage(update, context):
        return
    choice, _, token = (query.data or "").removeprefix(FORGET_PREFIX).partition(":")
    if choice not in (FORGET_YES, FORGET_NO) or not redeem_token(
        context.chat_data, "forget", token
    ):
        await query.answer(EXPIRED)
        return
    if choice == FORGET_YES:
        await services(context).store.chats.delete(update.effective_chat.id)
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
