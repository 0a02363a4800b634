"""The command menu: one list that feeds both /help and Telegram's `set_my_commands`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ADMIN_COMMANDS", "COMMANDS", "Command"]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str
    example: str


COMMANDS: tuple[Command, ...] = (
    Command("start", "Subscribe this chat to alerts", "/start"),
    Command(
        "watch",
        'Watch keywords or "exact phrases", comma-separated',
        '/watch Lachin, "Lachin corridor"',
    ),
    Command("unwatch", "Stop watching a keyword (alone: pick from buttons)", "/unwatch Lachin"),
    Command("list", "Show the watchlist and whether alerts are on", "/list"),
    Command("latest", "Newest reports matching the watchlist or a keyword", "/latest Karabakh"),
    Command("pause", "Pause alerts, keep the watchlist; matches wait in /latest", "/pause"),
    Command("resume", "Resume alerts; says how many reports matched meanwhile", "/resume"),
    Command("stop", "Unsubscribe, keep the watchlist for a later /start", "/stop"),
    Command("forget", "Delete everything stored about this chat", "/forget"),
    Command(
        "channel",
        "Manage a channel's alerts from this private chat (off to stop)",
        "/channel @yourchannel",
    ),
    Command("language", "Which language's report leads a story's alert", "/language en"),
    Command("help", "List the commands", "/help"),
)

ADMIN_COMMANDS: tuple[Command, ...] = (
    Command("sources", "Bot admins: each source's state, last success and errors", "/sources"),
)
