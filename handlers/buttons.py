"""Inline buttons that outlive their prompt: every tap is answered, destructive ones need a token.

Telegram keeps a button spinning until the bot answers its callback, and callback data is not
proof of anything: a tap may come from a prompt sent before a restart, from a message the bot
can no longer see, or from a modified client that sends whatever data it likes. So a button
that destroys something carries a one-time token issued with its prompt, and any tap nothing
else claims is told the button has expired.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from time import monotonic
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import Context

__all__ = [
    "CATCH_ALL",
    "DETACHED",
    "EXPIRED",
    "TOKEN_LIFETIME_SECONDS",
    "issue_token",
    "redeem_token",
]

EXPIRED = "This button has expired."
TOKEN_LIFETIME_SECONDS = 600.0
MAX_TOKENS_PER_CHAT = 10  # repeated prompts in one chat keep only their newest tokens alive
_TOKENS_KEY = "button_tokens"


def issue_token(chat_data: MutableMapping[Any, Any], action: str) -> str:
    """A fresh token for one prompt's buttons, valid for TOKEN_LIFETIME_SECONDS in this chat.

    Tokens live in the chat's `chat_data` (memory only), so a prompt from before a restart, or
    from another chat, can never be redeemed.
    """
    now = monotonic()
    tokens: dict[str, tuple[str, float]] = chat_data.setdefault(_TOKENS_KEY, {})
    for stale in [t for t, (_, expires) in tokens.items() if expires <= now]:
        del tokens[stale]
    while len(tokens) >= MAX_TOKENS_PER_CHAT:
        del tokens[next(iter(tokens))]  # the oldest: dicts keep insertion order
    token = secrets.token_urlsafe(9)
    tokens[token] = (action, now + TOKEN_LIFETIME_SECONDS)
    return token


def redeem_token(chat_data: MutableMapping[Any, Any] | None, action: str, token: str) -> bool:
    """True once for a live token issued for `action` in this chat; it is used up either way."""
    if chat_data is None:
        return False
    tokens: dict[str, tuple[str, float]] = chat_data.get(_TOKENS_KEY, {})
    issued = tokens.get(token)
    if issued is None or issued[0] != action:
        return False
    del tokens[token]
    return issued[1] > monotonic()


async def expired(update: Update, context: Context) -> None:
    """Stop the spinner on a tap that nothing else may act on."""
    assert update.callback_query is not None
    await update.callback_query.answer(EXPIRED)


class _DetachedCallbackHandler(CallbackQueryHandler[Context, None]):
    """Taps on a message the bot cannot see: an inline-mode message (no `message`, no chat) or
    one too old for Telegram to send along (date 0, no text). No handler can edit those, and an
    inline one has no chat to check rights in, so they are only answered."""

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update) or update.callback_query is None:
            return False
        message = update.callback_query.message
        return message is None or not message.is_accessible


DETACHED = _DetachedCallbackHandler(expired)
CATCH_ALL = CallbackQueryHandler(expired)
