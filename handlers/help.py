"""/help: every command with an example, and how a watch is written."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.updates import BURST
from handlers.commands import ADMIN_COMMANDS, COMMANDS
from handlers.common import reply, services
from handlers.filters import command
from watchers.volume import ALERTS_PER_POLL

__all__ = ["HANDLERS"]


async def help_command(update: Update, context: Context) -> None:
    """List every command with an example."""
    shown = COMMANDS
    user = update.effective_user
    if user is not None and user.id in services(context).settings.admin_ids:
        shown += ADMIN_COMMANDS
    lines = ["<b>Commands</b>"]
    lines += [f"/{c.name} — {c.description}\n    e.g. <code>{c.example}</code>" for c in shown]
    lines.append(
        '\nA watch can be a word, an "exact phrase", alternatives joined by OR, and -word to '
        "exclude. Watching a place also watches its other spellings; put = in front "
        "(/watch =Lachin) to watch that exact name only. One watch per place is enough: a -word "
        "on any watch of a place leaves those reports out of all its watches in the chat."
    )
    lines.append(
        f"\nOne source sends a chat at most {ALERTS_PER_POLL} alerts at a time, the newest; any "
        "more are counted in one message, and every report is kept for /latest "
        "(its Older button pages back)."
    )
    lines.append(
        f"\nWhile paused, matches wait in /latest. Past {BURST} messages at once, I answer about "
        "one a second in a chat and skip the rest."
    )
    await reply(update, "\n".join(lines))


HANDLERS = [command("help", help_command)]
