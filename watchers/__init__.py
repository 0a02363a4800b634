"""News logic: sources, identity, matching, summaries and the poll that ties them together.

Nothing in this package imports Telegram; the bot layer (`bot/`, `handlers/`) calls into it.
"""
