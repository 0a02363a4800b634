"""/latest: the newest stored reports that match the chat's watchlist or a keyword given."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import Context
from bot.render import echo, render_report_line
from bot.storage import Store, StoredReport
from handlers.common import argument_text, bulleted, load_chat, reply, services
from handlers.filters import command
from watchers.matching import (
    MAX_WATCHES,
    AliasBook,
    KeywordError,
    Matcher,
    split_keywords,
    validate_keyword,
)

__all__ = ["HANDLERS", "OLDER_PREFIX", "SCANNED", "count_since"]

SHOWN = 5
SCANNED = 1000  # how many of the newest stored reports /latest looks through
SUBJECT_LENGTH = 100  # the keywords named in the heading
REFUSALS_SHOWN = 3
OLDER_PREFIX = "latest:"
"""Callback data of the "Older" button, then how many matches the pages before it showed. It
names no chat and no keyword: a tap shows the tapping chat's own watchlist, so forged or
replayed data shows nothing the chat could not ask for with /latest."""


def _matches(
    stored: Iterable[StoredReport], keywords: Sequence[str], aliases: AliasBook
) -> Iterator[tuple[StoredReport, str]]:
    """The reports that match any of the keywords, in the order given, each with the form found."""
    matcher = Matcher.build([(0, k) for k in keywords], aliases)
    for item in stored:
        matches = matcher.match(item.report.title, item.report.text)
        if matches:
            yield item, matches[0].form


def _newest_matches(
    stored: Sequence[StoredReport], keywords: Sequence[str], aliases: AliasBook, skip: int = 0
) -> list[tuple[StoredReport, str]]:
    """The SHOWN reports (newest first) that match after the first `skip`, each with the form
    found, and one more when there is one (so the caller knows an older page exists)."""
    return list(islice(_matches(stored, keywords, aliases), skip, skip + SHOWN + 1))


async def count_since(
    store: Store, aliases: AliasBook, keywords: Sequence[str], since: datetime
) -> tuple[int, bool]:
    """How many reports first seen since `since` match the keywords, among the SCANNED newest
    that /latest looks through; True when those were all that new, so more may lie beyond."""
    stored = await store.recent_reports(SCANNED)
    fresh = [item for item in stored if item.first_seen >= since]
    found = await asyncio.to_thread(lambda: sum(1 for _ in _matches(fresh, keywords, aliases)))
    return found, len(stored) == SCANNED and stored[-1].first_seen >= since


async def latest(update: Update, context: Context) -> None:
    """Show at most five matching reports, newest first, each with title, outlet, time and link.

    `/latest Lachin, Karabakh` looks for any of the keywords given (checked as /watch checks
    them); a bad one is named with its reason and the others are still looked for.
    """
    given = split_keywords(argument_text(update))
    refused: list[str] = []
    if given:
        keywords = []
        if len(given) > MAX_WATCHES:
            refused.append(f"{len(given) - MAX_WATCHES} keywords: at most {MAX_WATCHES} at a time.")
        for raw in given[:MAX_WATCHES]:
            try:
                keywords.append(validate_keyword(raw))
            except KeywordError as error:
                reason = echo(str(error), 150)
                refused.append(f"“{echo(raw, 30)}”: {reason}" if raw.strip() else reason)
        if not keywords:
            await reply(update, _refusals("Nothing to look for:", refused))
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
    subject = echo(", ".join(keywords), SUBJECT_LENGTH) if given else "your watchlist"
    lines, older = await _page(context, keywords, subject, 0)
    if refused:
        lines.append(_refusals("Not looked for:", refused))
    # Only the watchlist pages on: the keywords of `/latest Lachin` would not fit in a button.
    await reply(update, "\n\n".join(lines), reply_markup=None if given else older)


async def _page(
    context: Context, keywords: Sequence[str], subject: str, skip: int
) -> tuple[list[str], InlineKeyboardMarkup | None]:
    """The lines of one page of matches after the first `skip`, and the button to the next
    older page when there is one among the SCANNED newest reports."""
    shared = services(context)
    stored = await shared.store.recent_reports(SCANNED)
    found = await asyncio.to_thread(_newest_matches, stored, keywords, shared.aliases, skip)
    if not found:
        nothing = "Nothing older" if skip else "Nothing reported yet"
        return [f"{nothing} for {subject}. New reports will be alerted as they come."], None
    heading = f"<b>Latest for {subject}</b>"
    if skip:
        heading += f" ({skip + 1}–{skip + min(len(found), SHOWN)})"
    lines = [heading]
    lines += [render_report_line(item.report, item.when, form) for item, form in found[:SHOWN]]
    if len(found) <= SHOWN:
        return lines, None
    button = InlineKeyboardButton("Older ▸", callback_data=f"{OLDER_PREFIX}{skip + SHOWN}")
    return lines, InlineKeyboardMarkup([[button]])


async def older(update: Update, context: Context) -> None:
    """The "Older" button: the next page of the watchlist's matches, as a new message."""
    query = update.callback_query
    assert query is not None and query.data is not None
    skip = int(query.data.removeprefix(OLDER_PREFIX))
    chat = await load_chat(update, context, create=False)
    if chat is None or not chat.keywords:
        await query.answer("The watchlist is empty.")
        return
    await query.answer()
    lines, more = await _page(context, chat.keywords, "your watchlist", skip)
    await reply(update, "\n\n".join(lines), reply_markup=more)


def _refusals(heading: str, refused: list[str]) -> str:
    """The heading and the first few refusals, each on its own line, then how many more."""
    return "\n".join([heading, *bulleted(refused, REFUSALS_SHOWN)])


HANDLERS = [
    command("latest", latest),
    # At most SCANNED reports are looked through, so no page starts beyond them.
    CallbackQueryHandler(older, pattern=rf"^{OLDER_PREFIX}([1-9][0-9]{{0,2}})$"),
]
