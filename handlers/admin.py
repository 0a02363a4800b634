"""/sources: for the bot's operators, each source's state, last success and error count."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.render import escape, when_text
from handlers.common import reply, services
from handlers.filters import command
from watchers.fetch import SourceState

__all__ = ["HANDLERS"]


def _describe(name: str, kind: str, state: SourceState | None) -> str:
    if state is None:
        status, detail = "⏳", "not polled yet"
    elif state.disabled:
        status, detail = (
            "⛔",
            f"switched off after {state.errors} errors: {escape(state.last_error or '')}",
        )
    elif state.errors:
        status, detail = "⚠️", f"{state.errors} errors in a row: {escape(state.last_error or '')}"
    else:
        status, detail = "✅", "ok"
    last = when_text(state.last_success) if state and state.last_success else "never"
    return f"{status} <b>{escape(name)}</b> ({kind}) — last success {last}; {detail}"


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List every configured source with its health; only for NEWSWATCH_ADMIN_IDS."""
    user = update.effective_user
    shared = services(context)
    if user is None or user.id not in shared.settings.admin_ids:
        await reply(update, "Sorry, /sources is only for the bot's operators.")
        return
    states = await shared.store.source_states()
    lines = [
        _describe(source.name, source.kind, states.get(source.name)) for source in shared.sources
    ]
    await reply(update, "\n".join(lines) if lines else "No sources are configured.")


HANDLERS = [command("sources", sources)]
