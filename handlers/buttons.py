"""Inline buttons that outlive their prompt: every tap is answered, destructive ones need a token.

Telegram keeps a button spinning until the bot answers its callback, and callback data is not
proof of anything: a tap may come from a prompt sent before a restart, from a message the bot
can no longer see, or from a modified client that sends whatever data it likes. So a button
that destroys something carries a one-time token issued with its prompt, any other carries
data sealed to the chats it was sent for (`seal`), and any tap nothing else claims is told the
button has expired.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from binascii import Error as Base64Error
from collections.abc import MutableMapping, Sequence
from functools import lru_cache
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
    "seal",
    "unseal",
]

EXPIRED = "This button has expired."
TOKEN_LIFETIME_SECONDS = 600.0
MAX_TOKENS_PER_CHAT = 10  # repeated prompts in one chat keep only their newest tokens alive
_TOKENS_KEY = "button_tokens"
_SEAL_BYTES = 12  # 96 bits of tag: a forger must guess it, and a wrong guess costs a tap
_SEAL_LABEL = b"newswatch: button data sealed to chats"


@lru_cache(maxsize=1)
def _seal_key(bot_token: str) -> bytes:
    """The key that seals button data: derived from the bot token (never the token itself), so
    buttons outlive a restart, cannot be forged without the token, and die with a new token."""
    return hmac.new(bot_token.encode(), _SEAL_LABEL, hashlib.sha256).digest()


def _tag(bot_token: str, chat_ids: Sequence[int], payload: bytes) -> bytes:
    message = ",".join(map(str, chat_ids)).encode() + b":" + payload
    return hmac.new(_seal_key(bot_token), message, hashlib.sha256).digest()[:_SEAL_BYTES]


def seal(context: Context, chat_ids: Sequence[int], payload: bytes) -> str:
    """`payload` with a tag binding it to these chats (the chat the button is sent in, and the
    chat it acts on), as callback data text: 4/3 of the bytes plus 16 characters, so a payload
    of 8 bytes leaves room in Telegram's 64."""
    sealed = payload + _tag(context.bot.token, chat_ids, payload)
    return urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(context: Context, chat_ids: Sequence[int], data: str) -> bytes | None:
    """The payload of data `seal` made for these same chats; None for any other data (another
    chat's button, a forgery, a button from before a new token)."""
    try:
        sealed = urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (Base64Error, ValueError):
        return None
    if len(sealed) <= _SEAL_BYTES:
        return None
    payload, tag = sealed[:-_SEAL_BYTES], sealed[-_SEAL_BYTES:]
    return payload if hmac.compare_digest(tag, _tag(context.bot.token, chat_ids, payload)) else None


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
