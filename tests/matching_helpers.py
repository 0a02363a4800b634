"""What the matching tests share: a chat's watch run against a report, and the fan-out to chats."""

from __future__ import annotations

from watchers.matching import AliasBook, Found, Matcher


def forms_found(watch: str, aliases: AliasBook, title: str, text: str = "") -> list[str]:
    """The forms one watch of one chat is reported with for a report ([] when it does not match)."""
    return [found.form for found in Matcher.build([(1, watch)], aliases).match(title, text)]


def fanned_out(found: list[Found]) -> list[tuple[int, str, str]]:
    """(chat, keyword, form) for every chat holding a watch found, as a caller fans out."""
    return [(chat, keyword, one.form) for one in found for chat, keyword in one.holders]
