"""/latest: the newest stored stories that match the chat's watchlist or a keyword given, each
once (by its newest matching report) with how many outlets carried it.

They are read from the match index (`bot.store.matches`): what the matcher found in each report
when it was stored, by watch id, with the context it had then (a regional outlet vouches for
"Ganja"), among the newest `INDEX_WINDOW` reports with hits, fanned out to the chat by the rules
of the live alert (`watchers.fanout`: shared exclusions included). Only what the index does not
cover (a keyword no chat watches, a watch newer than the report) is matched as text, in the CPU
worker, and only among the SCANNED newest reports: no request reads more as the store grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import Context
from bot.render import echo, render_report_line
from bot.store import Store, StoredReport
from handlers.common import argument_text, bulleted, load_chat, reply, services
from handlers.filters import command
from watchers.cpu import on_cpu
from watchers.fanout import EVER, TEXT_WINDOW, Audience, fan_out, small_audience
from watchers.matching import (
    MAX_WATCHES,
    AliasBook,
    KeywordError,
    split_keywords,
    validate_keyword,
)
from watchers.matchlane import match_texts
from watchers.models import Hit, Subscription
from watchers.packed import unpack

__all__ = ["HANDLERS", "OLDER_PREFIX", "SCANNED", "count_since"]

SHOWN = 5
SCANNED = TEXT_WINDOW  # how many of the newest stored reports /latest may match as text
SUBJECT_LENGTH = 100  # the keywords named in the heading
REFUSALS_SHOWN = 3
OLDER_PREFIX = "latest:"
"""Callback data of the "Older" button, then how many matches the pages before it showed. It
names no chat and no keyword: a tap shows the tapping chat's own watchlist, so forged or
replayed data shows nothing the chat could not ask for with /latest."""

_Found = dict[str, tuple[StoredReport, list[Hit]]]  # by report id


async def _text_matches(
    store: Store, aliases: AliasBook, watches: Sequence[str], window: int
) -> _Found:
    """What the index does not cover among the `window` newest reports, matched as text."""
    missing = await store.matches.unindexed(watches, window)
    if not missing:
        return {}
    asked = [w for w in watches if any(w in m for _, m in missing)]
    found = await on_cpu(match_texts, asked, aliases, [item.report for item, _ in missing])
    texts: _Found = {}
    for (item, uncovered), packed in zip(missing, found, strict=True):
        if packed is None:
            continue
        names = {n: w for n, w in enumerate(asked) if w in uncovered}
        kept = unpack(packed, names)
        if kept:
            texts[item.report.id] = item, kept
    return texts


def _shown(
    candidates: _Found, audience: Audience, wanted: int, stories: bool
) -> list[tuple[StoredReport, str]]:
    """Newest first, the candidates the chat's watches match by the live alert's rules, each
    with the form found (of its first watch in the chat's order), at most `wanted`; with
    `stories`, a story's newest report only."""
    order = {watch: n for n, watch in enumerate(audience.watches)}
    shown: list[tuple[StoredReport, str]] = []
    told: set[str] = set()
    newest = sorted(candidates.values(), key=lambda c: (c[0].when, c[0].report.id), reverse=True)
    for item, hits in newest:
        story = item.report.story
        if stories and story:
            if story in told:
                continue
            told.add(story)
        hits.sort(key=lambda hit: min(order.get(w, len(order)) for w in hit.watches))
        matches = fan_out(item.report, hits, audience)
        if matches:
            shown.append((item, matches[0].form))
            if len(shown) == wanted:
                break
    return shown


async def _newest_matches(
    store: Store, aliases: AliasBook, keywords: Sequence[str], wanted: int, stories: bool
) -> list[tuple[StoredReport, str]]:
    """The `wanted` newest reports that match any of the keywords, each with the form found;
    with `stories`, one report (the newest) of each story."""
    audience = small_audience([Subscription(0, k, EVER) for k in keywords], aliases)
    texts = await _text_matches(store, aliases, audience.watches, SCANNED)
    limit = wanted
    while True:
        indexed, more = await store.matches.indexed(audience.watches, limit)
        candidates = dict(texts)
        for item, hits in indexed:
            known = candidates.get(item.report.id)
            candidates[item.report.id] = item, hits + (known[1] if known else [])
        if more and indexed:  # what lies past the index's last report is not known to be in order
            last = indexed[-1][0]
            candidates = {
                key: (item, hits)
                for key, (item, hits) in candidates.items()
                if (item.when, key) >= (last.when, last.report.id)
            }
        shown = _shown(candidates, audience, wanted, stories)
        if len(shown) == wanted or not more:
            return shown
        limit *= 4  # a shared exclusion silenced some: read further


async def count_since(
    store: Store, aliases: AliasBook, keywords: Sequence[str], since: datetime
) -> tuple[int, bool]:
    """How many reports first seen since `since` match the keywords, among the SCANNED newest
    matches; True when those were all that new, so more may lie beyond."""
    found = await _newest_matches(store, aliases, keywords, SCANNED, stories=False)
    fresh = sum(1 for item, _ in found if item.first_seen >= since)
    return fresh, fresh == len(found) == SCANNED


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
    older page when there is one."""
    shared = services(context)
    wanted = skip + SHOWN + 1
    found = (await _newest_matches(shared.store, shared.aliases, keywords, wanted, True))[skip:]
    if not found:
        nothing = "Nothing older" if skip else "Nothing reported yet"
        return [f"{nothing} for {subject}. New reports will be alerted as they come."], None
    heading = f"<b>Latest for {subject}</b>"
    if skip:
        heading += f" ({skip + 1}\N{EN DASH}{skip + min(len(found), SHOWN)})"
    lines = [heading]
    outlets = await shared.store.reports.outlets([item.report.story for item, _ in found[:SHOWN]])
    lines += [
        render_report_line(item.report, item.when, form, outlets.get(item.report.story, 1))
        for item, form in found[:SHOWN]
    ]
    if len(found) <= SHOWN:
        return lines, None
    button = InlineKeyboardButton("Older ▸", callback_data=f"{OLDER_PREFIX}{skip + SHOWN}")
    return lines, InlineKeyboardMarkup([[button]])


async def older(update: Update, context: Context) -> None:
    """The "Older" button: the next page of the watchlist's matches, as a new message."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
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
    # No page starts past the thousandth match.
    CallbackQueryHandler(older, pattern=rf"^{OLDER_PREFIX}([1-9][0-9]{{0,2}})$"),
]
