"""The typed context that every handler and job receives, so `context.bot_data.services` is
checked by the type checker instead of being a string key into a dict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

if TYPE_CHECKING:
    from bot.services import Services

__all__ = ["CONTEXT_TYPES", "BotData", "Context"]


class BotData:
    """What the application keeps for the whole bot: the services `build_application` made."""

    services: Services


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
