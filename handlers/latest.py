"""/latest: the newest stored reports that match the chat's watchlist or a keyword given."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice

from telegram import Update

from bot.context import Context
from bot.render import echo, render_report_line
from bot.storage import Store, StoredReport
from handlers.common import argument_text, bulleted, load_chat, reply, services
from handlers.filters import command
from watchers.keywords import MAX_WATCHES, KeywordError, split_keywords, validate_keyword
from watchers.matching import AliasBook, Matcher

__all__ = ["HANDLERS", "SCANNED", "count_since"]

SHOWN = 5
SCANNED = 1000  # how many of the newest stored reports /latest looks through
SUBJECT_LENGTH = 100  # the keywords named in the heading
REFUSALS_SHOWN = 3


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
    stored: Sequence[StoredReport], keywords: Sequence[str], aliases: AliasBook
) -> list[tuple[StoredReport, str]]:
    """The first SHOWN reports (newest first) that match, each with the form found."""
    return list(islice(_matches(stored, keywords, aliases), SHOWN))


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
    shared = services(context)
    stored = await shared.store.recent_reports(SCANNED)
    found = await asyncio.to_thread(_newest_matches, stored, keywords, shared.aliases)
    subject = echo(", ".join(keywords), SUBJECT_LENGTH) if given else "your watchlist"
    if found:
        lines = [f"<b>Latest for {subject}</b>"]
        lines += [render_report_line(item.report, item.when, form) for item, form in found]
    else:
        lines = [f"Nothing reported yet for {subject}. New reports will be alerted as they come."]
    if refused:
        lines.append(_refusals("Not looked for:", refused))
    await reply(update, "\n\n".join(lines))


def _refusals(heading: str, refused: list[str]) -> str:
    """The heading and the first few refusals, each on its own line, then how many more."""
    return "\n".join([heading, *bulleted(refused, REFUSALS_SHOWN)])


HANDLERS = [command("latest", latest)]
