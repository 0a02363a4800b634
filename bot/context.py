"""The typed context that every handler and job receives, so `context.bot_data.services` is
checked by the type checker instead of being a string key into a dict."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.delivery import Sender
    from bot.services import Services

__all__ = ["CONTEXT_TYPES", "BotData", "Context"]


class BotData:
    """What the application keeps for the whole bot: the services `build_application` made,
    the alert sender once started, the polls running now (cancelled at shutdown), and when
    each chat last got the plain-text hint."""

    services: Services

    def __init__(self) -> None:
        self.sender: Sender | None = None
        self.polls: set[asyncio.Task[Any]] = set()
        self.hinted: dict[int, float] = {}


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
