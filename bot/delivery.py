"""Sending alerts to chats. Each alert is sent once; a failure is logged and the rest go on."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from telegram import Bot
from telegram.error import TelegramError

from bot.render import render_alert
from watchers.models import Alert

__all__ = ["deliver", "tell_admins"]

logger = logging.getLogger(__name__)


async def deliver(bot: Bot, alerts: Sequence[Alert]) -> int:
    """Send every alert; returns how many Telegram accepted."""
    sent = 0
    for alert in alerts:
        try:
            await bot.send_message(alert.chat_id, render_alert(alert))
        except TelegramError as error:
            logger.warning(
                "alert %s to chat %s not delivered: %s", alert.report.id, alert.chat_id, error
            )
        else:
            sent += 1
    return sent


async def tell_admins(bot: Bot, admin_ids: Iterable[int], text: str) -> None:
    """Notify the operators; one unreachable admin does not keep the others from hearing."""
    for admin_id in admin_ids:
        try:
            await bot.send_message(admin_id, text)
        except TelegramError as error:
            logger.warning("could not notify admin %s: %s", admin_id, error)
