"""What a chat watches: /watch, /unwatch (with buttons) and /list."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import Context
from bot.render import echo, escape
from bot.store import Chat, WatchEntry
from handlers.buttons import EXPIRED, seal, unseal
from handlers.common import (
    argument_text,
    bulleted,
    can_manage,
    load_chat,
    reply,
    services,
    topic,
)
from handlers.filters import command
from watchers.markup import cut
from watchers.matching import (
    MAX_KEYWORD_LENGTH,
    MAX_WATCHES,
    AliasBook,
    KeywordError,
    Term,
    placement,
    same_keyword,
    shared_exclusions,
    split_keywords,
    tidy_keyword,
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
SHOWN = 10  # keywords listed by name in a /watch answer, per kind
REASONS_SHOWN = 4
EXAMPLES_SHOWN = 3
_OVER_LIMIT = f"A chat can watch at most {MAX_WATCHES} keywords; /unwatch some first."


def _digest(keyword: str) -> bytes:
    """A keyword's short digest: keywords may exceed Telegram's 64 bytes of callback data."""
    return hashlib.sha256(fold(keyword).encode()).digest()[:8]


def _button_chats(update: Update, chat: Chat | None) -> tuple[int, ...]:
    """The chats a button is bound to: the one it is shown in, and the one it acts on (they
    differ when /channel points this chat's commands at a channel)."""
    shown_in = update.effective_chat.id if update.effective_chat else 0
    return shown_in, chat.chat_id if chat else shown_in


def _keyboard(context: Context, update: Update, chat: Chat) -> InlineKeyboardMarkup:
    chats = _button_chats(update, chat)
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"✖ {kw}", callback_data=_button_data(context, chats, kw))]
            for kw in chat.keywords
        ]
    )


def _button_data(context: Context, chats: tuple[int, ...], keyword: str) -> str:
    """Callback data that removes `keyword`, valid only in these chats (`buttons.seal`)."""
    return UNWATCH_PREFIX + seal(context, chats, _digest(keyword))


async def watch(update: Update, context: Context) -> None:
    """Add one or more comma-separated keywords to the chat's watchlist.

    The answer is one short message however many keywords were sent: what was added (and which
    watches of the same place it replaced), what was already watched or covered by a watch of
    the same place, how a keyword was read when it was typed in styled or look-alike letters,
    which exclusions now hold for a place's every watch, and what was refused, grouped by
    reason with a few examples.
    """
    if not await can_manage(update, context):
        return
    raw_keywords = split_keywords(argument_text(update))
    if not raw_keywords:
        await reply(update, WATCH_USAGE)
        return
    chat = await load_chat(update, context, create=True)
    assert chat is not None
    book = services(context).aliases
    added: list[str] = []
    already: list[str] = []
    covered: list[tuple[str, str]] = []  # (keyword, the watch covering it)
    replaced: list[tuple[str, str]] = []  # (old watch, the new one in its place)
    read_as: list[str] = []
    refused: dict[str, list[str]] = {}
    for raw in raw_keywords:
        try:
            keyword, notes = tidy_keyword(raw)
        except KeywordError as error:
            refused.setdefault(str(error), []).append(raw)
            continue
        read_as += notes
        if any(same_keyword(keyword, kw) for kw in chat.keywords):
            already.append(keyword)
        elif (placed := placement(keyword, chat.keywords, book)).covered_by is not None:
            covered.append((keyword, placed.covered_by))
        elif len(chat.watches) - len(placed.replaces) >= MAX_WATCHES:
            refused.setdefault(_OVER_LIMIT, []).append(keyword)
        else:
            chat.watches = [w for w in chat.watches if w.keyword not in placed.replaces]
            chat.watches.append(WatchEntry(keyword, datetime.now(UTC), topic(update)))
            added = [k for k in added if k not in placed.replaces] + [keyword]
            replaced += [(old, keyword) for old in placed.replaces]
    if added:
        await services(context).store.chats.save(chat)
    _log_watch(chat, len(raw_keywords), added, already + [k for k, _ in covered], refused)
    lines = []
    if added:
        lines += ["Watching:", *_listed(added, bold=True)]
    if replaced:
        lines += ["In place of:", *_pairs(replaced, "now")]
    if already:
        lines += ["Already watched:", *_listed(already)]
    if covered:
        lines += ["Already covered by a watch of the same place:", *_pairs(covered, "by")]
    if read_as:
        lines += ["Read as:", *bulleted([echo(note, 300) for note in read_as], SHOWN)]
    lines += _exclusions(chat.keywords, [*added, *(k for k, _ in covered)], book)
    if refused:
        lines += ["Not added:", *_refusals(refused)]
    if added and not chat.alerts_on:
        again = "/resume" if chat.subscribed and chat.paused and not chat.unreachable else "/start"
        lines.append(f"Alerts are off for this chat; send {again} to turn them on.")
    await reply(update, "\n".join(lines))


def _pairs(pairs: list[tuple[str, str]], word: str) -> list[str]:
    """Bullet lines "first, `word` second" for the first SHOWN pairs of keywords."""
    return bulleted([f"{echo(a, 50)}, {word} {echo(b, 50)}" for a, b in pairs], SHOWN)


def _exclusions(watches: list[str], touched: list[str], book: AliasBook) -> list[str]:
    """The exclusions that hold for every watch of a place, for each place a keyword just
    sent names (the chat's other watches of it may exclude what the keyword does not)."""
    lines = []
    for shared in shared_exclusions(list(dict.fromkeys([*watches, *touched])), book):
        if set(touched).isdisjoint(shared.watches):
            continue
        on = [f"“{echo(w, 50)}”" for w in shared.excluding if w in watches][:EXAMPLES_SHOWN]
        excluded = echo(" ".join(map(_excluding, shared.excluded)), 80)
        lines.append(f"• {escape(shared.place)}: {excluded} (on {', '.join(on)})")
    if not lines:
        return []
    return [
        "Exclusions hold for every watch of the place (/unwatch a watch to drop its own):",
        *lines[:SHOWN],
    ]


def _excluding(term: Term) -> str:
    """An excluded term as a user writes it: -word, -"a phrase", -=spelling."""
    text = f'"{term.text}"' if " " in term.text else term.text
    return f"-{'=' if term.exact else ''}{text}"


def _listed(keywords: list[str], *, bold: bool = False) -> list[str]:
    """Bullet lines for the first SHOWN keywords, then how many more there are."""
    return bulleted(
        [
            f"<b>{echo(k, MAX_KEYWORD_LENGTH)}</b>" if bold else echo(k, MAX_KEYWORD_LENGTH)
            for k in keywords
        ],
        SHOWN,
    )


def _refusals(refused: dict[str, list[str]]) -> list[str]:
    """One line per reason (the most common first): the keyword, or how many and a few of them."""
    lines = []
    groups = sorted(refused.items(), key=lambda group: -len(group[1]))
    for reason, raws in groups[:REASONS_SHOWN]:
        examples = [f"“{echo(raw, 30)}”" for raw in raws if raw.strip()][:EXAMPLES_SHOWN]
        if len(raws) == 1:
            lines.append(
                f"• {examples[0]}: {echo(reason, 150)}" if examples else f"• {echo(reason, 150)}"
            )
        else:
            such_as = f", such as {', '.join(examples)}" if examples else ""
            lines.append(f"• {len(raws)} keywords{such_as}: {echo(reason, 150)}")
    others = sum(len(raws) for _, raws in groups[REASONS_SHOWN:])
    if others:
        lines.append(f"• {others} more, for other reasons")
    return lines


def _log_watch(
    chat: Chat, sent: int, added: list[str], already: list[str], refused: dict[str, list[str]]
) -> None:
    """One line for the operator: the counts, and each refusal reason with its count."""
    reasons = "; ".join(f"{len(raws)} × {reason}" for reason, raws in refused.items())  # noqa: RUF001
    logger.info(
        "chat %s /watch of %d keywords: %d added (now %d), %d already watched, %d refused%s",
        chat.chat_id,
        sent,
        len(added),
        len(chat.watches),
        len(already),
        sum(len(raws) for raws in refused.values()),
        f" ({cut(reasons, 500)})" if reasons else "",
    )


async def unwatch(update: Update, context: Context) -> None:
    """Remove one keyword, or show the watchlist as buttons to tap."""
    if not await can_manage(update, context):
        return
    chat = await load_chat(update, context, create=False)
    if chat is None or not chat.watches:
        await reply(update, "The watchlist is empty. Add keywords with /watch.")
        return
    wanted = argument_text(update).strip()
    if not wanted:
        await reply(
            update,
            "Tap a keyword to stop watching it:",
            reply_markup=_keyboard(context, update, chat),
        )
        return
    kept = [w for w in chat.watches if not same_keyword(w.keyword, wanted)]
    if len(kept) == len(chat.watches):
        covered_by = placement(wanted, chat.keywords, services(context).aliases).covered_by
        if covered_by is not None:  # another spelling of a watched place: name the real watch
            await reply(
                update,
                f"“{echo(wanted)}” is not a watch of its own: <b>{escape(covered_by)}</b> covers"
                f" it. Send /unwatch {escape(covered_by)} to stop it.",
            )
            return
        await reply(update, f"“{echo(wanted)}” is not on the watchlist. Send /list to see it.")
        return
    removed = ", ".join(escape(w.keyword) for w in chat.watches if w not in kept)
    chat.watches = kept
    await services(context).store.chats.save(chat)
    await reply(update, f"Stopped watching <b>{removed}</b>.")


async def unwatch_button(update: Update, context: Context) -> None:
    """Remove the tapped keyword and redraw the remaining buttons."""
    query = update.callback_query
    assert query is not None
    if not await can_manage(update, context):
        return
    chat = await load_chat(update, context, create=False)
    digest = unseal(
        context, _button_chats(update, chat), (query.data or "").removeprefix(UNWATCH_PREFIX)
    )
    if digest is None:
        await query.answer(EXPIRED)
        return
    removed = [w for w in chat.watches if _digest(w.keyword) == digest] if chat else []
    if chat is None or not removed:
        await query.answer("That keyword is no longer on the watchlist.")
        return
    chat.watches = [w for w in chat.watches if w not in removed]
    await services(context).store.chats.save(chat)
    await query.answer(f"Stopped watching {removed[0].keyword}")
    if chat.watches:
        await query.edit_message_text(
            f"Stopped watching <b>{escape(removed[0].keyword)}</b>. Tap another to remove it:",
            reply_markup=_keyboard(context, update, chat),
        )
    else:
        await query.edit_message_text(
            f"Stopped watching <b>{escape(removed[0].keyword)}</b>. The watchlist is now empty."
        )


async def list_watches(update: Update, context: Context) -> None:
    """Show the watchlist and whether alerts are on."""
    chat = await load_chat(update, context, create=False)
    if chat is None:
        await reply(update, "This chat is not subscribed yet. Send /start, then /watch a keyword.")
        return
    if not chat.subscribed:
        state = "off (unsubscribed; /start to subscribe)"
    elif chat.unreachable:
        state = f"stopped: Telegram said “{echo(chat.unreachable, 150)}” (/start to resume)"
    elif chat.paused:
        state = "paused (/resume to turn them on)"
    else:
        state = "on"
    whose = ""
    if update.effective_chat is not None and chat.chat_id != update.effective_chat.id:
        whose = f"Channel <b>{echo(chat.title or str(chat.chat_id))}</b> (/channel off to leave)\n"
    if chat.watches:
        body = "\n".join(f"• {escape(k)}" for k in chat.keywords)
        text = f"<b>Watchlist</b> ({len(chat.watches)}/{MAX_WATCHES}):\n{body}\nAlerts: {state}."
    else:
        text = f"The watchlist is empty; add keywords with /watch.\nAlerts: {state}."
    await reply(update, whose + text)


HANDLERS = [
    command("watch", watch),
    command("unwatch", unwatch),
    command("list", list_watches),
    CallbackQueryHandler(unwatch_button, pattern=f"^{UNWATCH_PREFIX}"),
]
