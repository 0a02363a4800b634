"""Telegram command and button handlers, one module per user-facing concern.

Each module exports `HANDLERS`; `bot.app.build_application` registers them all in one place.
"""
