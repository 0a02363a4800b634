"""/sources: for the bot's operators, each source's state, last success and error count."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.render import escape, when_text
from handlers.common import reply, services
from handlers.filters import command
from watchers.models import SourceState
from watchers.sources import Source

__all__ = ["HANDLERS"]


def _describe(source: Source, state: SourceState | None) -> str:
    """One line of /sources: health, kind, whether its URL is verified, last success, errors."""
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
    unverified = ", URL not yet verified" if not source.verified else ""
    return (
        f"{status} <b>{escape(source.name)}</b> ({source.kind}{unverified})"
        f" — last success {last}; {detail}"
    )


async def sources(update: Update, context: Context) -> None:
    """List every configured source with its health; only for NEWSWATCH_ADMIN_IDS."""
    user = update.effective_user
    shared = services(context)
    if user is None or user.id not in shared.settings.admin_ids:
        await reply(update, "Sorry, /sources is only for the bot's operators.")
        return
    states = await shared.store.sources.all()
    lines = [_describe(source, states.get(source.name)) for source in shared.sources]
    await reply(update, "\n".join(lines) if lines else "No sources are configured.")


HANDLERS = [command("sources", sources)]
