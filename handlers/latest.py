"""/latest: the newest stored reports that match the chat's watchlist or a keyword given."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from telegram import Update
from telegram.ext import ContextTypes

from bot.render import escape, render_report_line
from bot.storage import StoredReport
from handlers.common import argument_text, load_chat, reply, services
from handlers.filters import command
from watchers.keywords import KeywordError, validate_keyword
from watchers.matching import AliasBook, Matcher

__all__ = ["HANDLERS"]

SHOWN = 5
SCANNED = 1000  # how many of the newest stored reports /latest looks through


def _newest_matches(
    stored: Sequence[StoredReport], keywords: Sequence[str], aliases: AliasBook
) -> list[tuple[StoredReport, str]]:
    """The first SHOWN reports (newest first) that match, each with the form found."""
    matcher = Matcher.build([(0, k) for k in keywords], aliases)
    found = []
    for item in stored:
        matches = matcher.match(item.report.title, item.report.text)
        if matches:
            found.append((item, matches[0].form))
            if len(found) == SHOWN:
                break
    return found


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
            await reply(
                update,
                "The watchlist is empty. Add keywords with /watch, or ask /latest <i>keyword</i>.",
            )
            return
    shared = services(context)
    stored = await shared.store.recent_reports(SCANNED)
    found = await asyncio.to_thread(_newest_matches, stored, keywords, shared.aliases)
    subject = escape(given) if given else "your watchlist"
    if not found:
        await reply(
            update, f"Nothing reported yet for {subject}. New reports will be alerted as they come."
        )
        return
    lines = [f"<b>Latest for {subject}</b>"]
    lines += [render_report_line(item.report, item.when, form) for item, form in found]
    await reply(update, "\n\n".join(lines))


HANDLERS = [command("latest", latest)]
