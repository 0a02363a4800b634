"""/language: which language's report of a story leads the chat's alerts.

A story is often carried in several languages; its alert leads with the report in the chat's
language where the story has one (`watchers.telling.leads`). The chat's setting is
`/language xx` (ISO 639-1; "en-GB" is read as "en"); until one is set, a private chat takes its
user's Telegram client language when it subscribes. `/language off` prefers none.
"""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.render import echo
from handlers.common import argument_text, can_manage, load_chat, reply, services
from handlers.filters import command
from watchers.feeds.fields import language_code

__all__ = ["HANDLERS", "client_language"]

OFF = "off"


def client_language(update: Update) -> str:
    """The language of the sender's Telegram client ("en" for "en-GB"), or ""."""
    user = update.effective_user
    return (language_code(user.language_code) if user is not None else None) or ""


async def language(update: Update, context: Context) -> None:
    """Show or set the language whose report leads a story's alert."""
    asked = argument_text(update).strip().lower()
    if asked and not await can_manage(update, context):
        return
    chat = await load_chat(update, context, create=False)
    if chat is None:
        await reply(update, "This chat is not subscribed. Send /start first.")
        return
    if not asked:
        current = f"<b>{chat.language}</b>" if chat.language else "none"
        await reply(
            update,
            f"Language: {current}. A story's alert leads with its report in this language "
            "where it has one. Change it with /language <i>xx</i> (a two-letter code such as "
            "en, ru, az, hy), or /language off.",
        )
        return
    code = language_code(asked)
    if asked != OFF and code is None:
        await reply(
            update,
            f"“{echo(asked, 20)}” is not a language code: give one such as "
            "/language en or /language ru, or /language off.",
        )
        return
    chat.language = "" if asked == OFF else code or ""
    await services(context).store.chats.save(chat)
    if chat.language:
        await reply(
            update,
            f"Stories' alerts now lead with their report in <b>{chat.language}</b> "
            "where one exists.",
        )
    else:
        await reply(update, "Stories' alerts now lead with their first report.")


HANDLERS = [command("language", language)]
