"""Reports and alerts as Telegram HTML: escaped, linked, and within Telegram's length limit."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from watchers.models import Alert, Report

__all__ = ["echo", "escape", "render_alert", "render_report_line", "when_text"]

MAX_TITLE_LENGTH = 300  # with a 400-character summary, an alert stays far below Telegram's 4096


def escape(text: str) -> str:
    """HTML-escape text (a title, or what a user typed) so `<b>` or `A&B` shows as written."""
    return html.escape(text, quote=False)


def _link(report: Report) -> str:
    title = report.title or report.url
    if len(title) > MAX_TITLE_LENGTH:
        title = title[: MAX_TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"
    return f'<a href="{html.escape(report.url, quote=True)}">{escape(title)}</a>'


def echo(text: str, limit: int = 60) -> str:
    """What a user typed, escaped and shortened, to quote back in a reply of bounded length."""
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def when_text(moment: datetime) -> str:
    """Times are shown in UTC: a chat's members may sit in several time zones."""
    return moment.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")


def render_report_line(report: Report, when: datetime, form: str | None = None) -> str:
    """One entry of /latest: linked title, then outlet, time and the form that matched."""
    details = " · ".join(
        filter(
            None,
            [
                escape(report.publisher),
                when_text(when),
                f"matched “{escape(form)}”" if form else "",
            ],
        )
    )
    return f"{_link(report)}\n<i>{details}</i>"


def render_alert(alert: Alert) -> str:
    """The alert message: linked title, outlet and time, why it matched, then the summary."""
    report = alert.report
    when = when_text(report.published) if report.published else ""
    head = " · ".join(filter(None, [escape(report.publisher), when]))
    matched = f"🔎 {escape(alert.keyword)}"
    if _form_differs(alert.keyword, alert.form):
        matched += f" (as “{escape(alert.form)}”)"
    parts = [
        f"<b>{_link(report)}</b>",
        f"<i>{head}</i>" if head else "",
        matched,
        escape(alert.summary),
    ]
    return "\n".join(p for p in parts if p)


def _form_differs(keyword: str, form: str) -> bool:
    """Name the form only when it tells the reader more than the keyword they typed."""
    return keyword.strip().lstrip("=").strip('"“”«»').casefold() != form.casefold()
