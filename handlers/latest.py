"""/latest: the newest stored reports that match the chat's watchlist or a keyword given."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.render import render_report_line
from handlers.common import argument_text, escape, load_chat, reply, services
from handlers.filters import command
from watchers.keywords import KeywordError, validate_keyword
from watchers.matching import Matcher

__all__ = ["HANDLERS"]

SHOWN = 5
SCANNED = 1000  # how many of the newest stored reports /latest looks through


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show at most five matching reports, newest first, each with title, outlet, time and link."""
    given = argument_text(update).strip()
    if given:
        try:
            keywords = [validate_keyword(given)]
        except KeywordError as error:
            await reply(update, escape(str(error)))
            return
    else:
        chat = await load_chat(update, context, create=False)
        keywords = chat.keywords if chat else []
        if not keywords:
            await reply(update, "The watchlist is empty. Add keywords with /watch, or ask /latest <i>keyword</i>.")
            return
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    matcher = Matcher.build([(chat_id, k) for k in keywords], services(context).aliases)
    found = []
    for stored in await services(context).store.recent_reports(SCANNED):
        matches = matcher.match(stored.report.title, stored.report.text)
        if matches:
            found.append((stored, matches[0].form))
        if len(found) == SHOWN:
            break
    if not found:
        subject = escape(given) if given else "your watchlist"
        await reply(update, f"Nothing reported yet for {subject}. New reports will be alerted as they come.")
        return
    lines = [f"<b>Latest for {escape(given) if given else 'your watchlist'}</b>"]
    lines += [render_report_line(stored.report, stored.when, form) for stored, form in found]
    await reply(update, "\n\n".join(lines))


HANDLERS = [command("latest", latest)]
