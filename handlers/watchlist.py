"""What a chat watches: /watch, /unwatch (with buttons) and /list."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.render import echo, escape
from bot.storage import Chat, WatchEntry
from handlers.common import argument_text, can_manage, load_chat, reply, services
from handlers.filters import command
from watchers.keywords import (
    MAX_WATCHES,
    KeywordError,
    same_keyword,
    split_keywords,
    validate_keyword,
)
from watchers.text import fold

__all__ = ["HANDLERS"]

logger = logging.getLogger(__name__)

WATCH_USAGE = (
    "Tell me what to watch, for example:\n"
    "<code>/watch Lachin</code>\n"
    '<code>/watch Karabakh, "peace treaty", Stepanakert OR Khankendi</code>'
)
UNWATCH_PREFIX = "unwatch:"


def _button_data(keyword: str) -> str:
    """Callback data for a keyword: a short digest, since keywords may exceed Telegram's 64 bytes."""
    return UNWATCH_PREFIX + hashlib.sha1(fold(keyword).encode()).hexdigest()[:16]


def _keyboard(chat: Chat) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"✖ {kw}", callback_data=_button_data(kw))] for kw in chat.keywords]
    )


async def watch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add one or more comma-separated keywords to the chat's watchlist."""
    if not await can_manage(update, context):
        return
    raw_keywords = split_keywords(argument_text(update))
    if not raw_keywords:
        await reply(update, WATCH_USAGE)
        return
    chat = await load_chat(update, context, create=True)
    assert chat is not None
    added: list[str] = []
    already: list[str] = []
    refused: list[str] = []
    for raw in raw_keywords:
        try:
            keyword = validate_keyword(raw)
        except KeywordError as error:
            shown = echo(raw, 40) if raw.isprintable() else "?"
            refused.append(
                f"“{shown}”: {escape(str(error))}" if raw.strip() else escape(str(error))
            )
            continue
        if any(same_keyword(keyword, kw) for kw in chat.keywords):
            already.append(keyword)
        elif len(chat.watches) >= MAX_WATCHES:
            refused.append(
                f"“{escape(keyword)}”: a chat can watch at most {MAX_WATCHES} keywords; /unwatch some first."
            )
        else:
            chat.watches.append(WatchEntry(keyword, datetime.now(UTC)))
            added.append(keyword)
    if refused:
        logger.info("chat %s: %d of %d keywords refused", chat.chat_id, len(refused), len(raw_keywords))
    if added:
        await services(context).store.save_chat(chat)
        logger.info("chat %s now watches %d keywords", chat.chat_id, len(chat.watches))
    lines = []
    if added:
        lines += ["Watching:", *(f"• <b>{escape(k)}</b>" for k in added)]
    if already:
        lines += ["Already watched:", *(f"• {escape(k)}" for k in already)]
    if refused:
        lines += ["Not added:", *(f"• {reason}" for reason in refused)]
    if added and not chat.alerts_on:
        lines.append("Alerts are off for this chat; send /resume to turn them on.")
    await reply(update, "\n".join(lines))


async def unwatch(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove one keyword, or show the watchlist as buttons to tap."""
    if not await can_manage(update, context):
        return
    chat = await load_chat(update, context, create=False)
    if chat is None or not chat.watches:
        await reply(update, "The watchlist is empty. Add keywords with /watch.")
        return
    wanted = argument_text(update).strip()
    if not wanted:
        await reply(update, "Tap a keyword to stop watching it:", reply_markup=_keyboard(chat))
        return
    kept = [w for w in chat.watches if not same_keyword(w.keyword, wanted)]
    if len(kept) == len(chat.watches):
        await reply(update, f"“{echo(wanted)}” is not on the watchlist. Send /list to see it.")
        return
    removed = ", ".join(escape(w.keyword) for w in chat.watches if w not in kept)
    chat.watches = kept
    await services(context).store.save_chat(chat)
    await reply(update, f"Stopped watching <b>{removed}</b>.")


async def unwatch_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove the tapped keyword and redraw the remaining buttons."""
    query = update.callback_query
    assert query is not None
    if not await can_manage(update, context):
        return
    chat = await load_chat(update, context, create=False)
    removed = [w for w in chat.watches if _button_data(w.keyword) == query.data] if chat else []
    if chat is None or not removed:
        await query.answer("That keyword is no longer on the watchlist.")
        return
    chat.watches = [w for w in chat.watches if w not in removed]
    await services(context).store.save_chat(chat)
    await query.answer(f"Stopped watching {removed[0].keyword}")
    if chat.watches:
        await query.edit_message_text(
            f"Stopped watching <b>{escape(removed[0].keyword)}</b>. Tap another to remove it:",
            reply_markup=_keyboard(chat),
        )
    else:
        await query.edit_message_text(
            f"Stopped watching <b>{escape(removed[0].keyword)}</b>. The watchlist is now empty."
        )


async def list_watches(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the watchlist and whether alerts are on."""
    chat = await load_chat(update, context, create=False)
    if chat is None:
        await reply(update, "This chat is not subscribed yet. Send /start, then /watch a keyword.")
        return
    if not chat.subscribed:
        state = "off (unsubscribed; /start to subscribe)"
    elif chat.paused:
        state = "paused (/resume to turn them on)"
    else:
        state = "on"
    if chat.watches:
        body = "\n".join(f"• {escape(k)}" for k in chat.keywords)
        text = f"<b>Watchlist</b> ({len(chat.watches)}/{MAX_WATCHES}):\n{body}\nAlerts: {state}."
    else:
        text = f"The watchlist is empty; add keywords with /watch.\nAlerts: {state}."
    await reply(update, text)


HANDLERS = [
    command("watch", watch),
    command("unwatch", unwatch),
    command("list", list_watches),
    CallbackQueryHandler(unwatch_button, pattern=f"^{UNWATCH_PREFIX}"),
]
