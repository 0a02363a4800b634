"""How commands are recognised, the same way for private chats, groups and channel posts."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import Context

__all__ = ["command"]

_UPDATES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST


def command(
    name: str, callback: Callable[[Update, Context], Coroutine[Any, Any, None]]
) -> CommandHandler[Context, None]:
    """A handler for /name in new messages and channel posts (edits are not re-run)."""
    return CommandHandler(name, callback, filters=_UPDATES)
