"""Reports and alerts as Telegram HTML: escaped, linked, and within Telegram's length limit.

Every field a feed or a user controls is bounded here, whatever the earlier steps let through
(a 5,000-character outlet name once made every alert of its feed fail): each is made one line,
stripped of characters no reader can see, cut at a grapheme boundary with "…", then escaped. An
alert is thus at most about 1,250 characters, and a /latest entry about 550, against Telegram's
4,096; a story's lines (who else carried it, and where) add at most about 2,000.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime

from watchers.markup import cut, visible, without_controls
from watchers.matching import MAX_KEYWORD_LENGTH
from watchers.models import Alert, Outlet, Report

__all__ = [
    "MAX_FORM_LENGTH",
    "MAX_KEYWORD_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "MAX_OUTLET_LENGTH",
    "MAX_SUMMARY_LENGTH",
    "MAX_TITLE_LENGTH",
    "echo",
    "escape",
    "headline",
    "render_alert",
    "render_alert_plain",
    "render_report_line",
    "when_text",
]

MAX_TITLE_LENGTH = 300
MAX_OUTLET_LENGTH = 80
MAX_SUMMARY_LENGTH = 600  # summaries are made to 400; an LLM's may run over
MAX_FORM_LENGTH = 100
MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, in UTF-16 code units
MAX_STAND_IN_LENGTH = 100  # a headline made of the report's first words
NAMED_OUTLETS = 4  # outlets an alert names as also carrying its story; the rest are counted
NAMED_COUNTRIES = 8  # countries a story's "Reported in" line names; more are "…"
MAX_LINKED_URL = 300  # a longer link is left out rather than let it fill the message


def escape(text: str) -> str:
    """HTML-escape text (a title, or what a user typed) so `<b>` or `A&B` shows as written."""
    return html.escape(text, quote=False)


def echo(text: str, limit: int = 60) -> str:
    """`text` (a field of a report, or what a user typed) as one escaped line of at most `limit`
    visible characters: whitespace runs made one space, invisible controls dropped, cut between
    grapheme clusters with "…"."""
    return escape(_plain_line(text, limit))


def headline(report: Report, when: datetime | None) -> str:
    """The title as shown, one plain line: a headline that would show nothing (empty, spaces,
    only invisible characters) gives way to the report's first words, or, without text, to the
    outlet's name and the time `when`, so no alert or /latest entry starts with a blank line.

    Decided here, when shown, rather than when parsed: it then holds for reports stored before,
    and the stored title stays what the source said (it also tells stories apart)."""
    for text, limit in ((report.title, MAX_TITLE_LENGTH), (report.text, MAX_STAND_IN_LENGTH)):
        line = _plain_line(text, limit)
        if visible(line):
            return line
    parts = [_plain_line(report.publisher, MAX_OUTLET_LENGTH), when_text(when) if when else ""]
    return ", ".join(filter(visible, parts)) or _plain_line(report.url, MAX_TITLE_LENGTH)


def _link(report: Report, when: datetime | None) -> str:
    """The headline linked to the report; without a URL, the headline alone (an empty href
    would make Telegram link the headline's own text)."""
    title = escape(headline(report, when))
    if not report.url:
        return title
    return f'<a href="{html.escape(report.url, quote=True)}">{title}</a>'


def when_text(moment: datetime) -> str:
    """Times are shown in UTC: a chat's members may sit in several time zones."""
    return moment.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")


def render_report_line(
    report: Report, when: datetime, form: str | None = None, outlets: int = 1
) -> str:
    """One entry of /latest: linked title, then outlet, time, how many outlets carried its
    story (when more than one), and the form that matched."""
    details = " · ".join(
        filter(
            None,
            [
                echo(report.publisher, MAX_OUTLET_LENGTH),
                when_text(when),
                f"{outlets:,} outlets" if outlets > 1 else "",
                f"matched “{echo(form, MAX_FORM_LENGTH)}”" if form else "",
            ],
        )
    )
    return f"{_link(report, when)}\n<i>{details}</i>"


def _more(alert: Alert, write: Callable[[str, int], str]) -> str:
    """The line standing for a poll's reports past the chat's cap: "+4,962 more from X: /latest"."""
    origin = write(alert.origin, MAX_OUTLET_LENGTH)
    return f"+{alert.more:,} more{f' from {origin}' if origin else ''}: /latest"


def render_alert(alert: Alert) -> str:
    """The alert message: linked title, outlet and time, why it matched, then the summary."""
    if alert.more:
        return _more(alert, echo)
    report = alert.report
    when = when_text(report.published) if report.published else ""
    head = " · ".join(filter(None, [echo(report.publisher, MAX_OUTLET_LENGTH), when]))
    matched = f"🔎 {echo(alert.keyword, MAX_KEYWORD_LENGTH)}" + _why(alert, echo)
    parts = [
        f"<b>{_link(report, report.published)}</b>",
        f"<i>{head}</i>" if head else "",
        matched,
        echo(alert.summary, MAX_SUMMARY_LENGTH),
        *_story(alert, _named_html, echo),
    ]
    return "\n".join(p for p in parts if p)


def _named_html(outlet: Outlet) -> str:
    name = echo(outlet.name, MAX_OUTLET_LENGTH)
    if outlet.url and len(outlet.url) <= MAX_LINKED_URL:
        name = f'<a href="{html.escape(outlet.url, quote=True)}">{name}</a>'
    return name


def _named_plain(outlet: Outlet) -> str:
    return _plain_line(outlet.name, MAX_OUTLET_LENGTH)


def _story(
    alert: Alert, named: Callable[[Outlet], str], write: Callable[[str, int], str]
) -> list[str]:
    """Who carried the alert's story: the other outlets ("Also reported by: Report.az (az),
    TVN24 (pl), +3") or that its outlet is alone so far; and, when outlets of more than one
    country carry it, which ("Reported in AZ, AM, RU"), so a reader sees whose claim it is."""
    report = alert.report
    if not report.story:  # stored before stories were: nothing known
        return []
    if not alert.others:
        return [f"Single source so far: only {write(report.publisher, MAX_OUTLET_LENGTH)}"]
    shown = alert.others[:NAMED_OUTLETS]
    names = [named(o) + (f" ({write(o.language, 8)})" if o.language else "") for o in shown]
    hidden = len(alert.others) - len(shown)
    lines = ["Also reported by: " + ", ".join(names) + (f", +{hidden}" if hidden else "")]
    countries = [report.country, *(o.country for o in alert.others)]
    known = list(dict.fromkeys(write(c.upper(), 8) for c in countries if c))
    if len(known) > 1:
        more = ", …" if len(known) > NAMED_COUNTRIES else ""
        lines.append("Reported in " + ", ".join(known[:NAMED_COUNTRIES]) + more)
    return lines


def _plain_line(text: str, limit: int) -> str:
    """`line` without the escaping: for a message sent with no parse mode."""
    return cut(" ".join(without_controls(text).split()), limit)


def render_alert_plain(alert: Alert) -> str:
    """The alert as plain text, for when Telegram refuses the HTML (`can't parse entities`):
    the same fields and bounds, the link written out in full on its own line."""
    if alert.more:
        return _more(alert, _plain_line)
    report = alert.report
    when = when_text(report.published) if report.published else ""
    head = " · ".join(filter(None, [_plain_line(report.publisher, MAX_OUTLET_LENGTH), when]))
    matched = f"🔎 {_plain_line(alert.keyword, MAX_KEYWORD_LENGTH)}" + _why(alert, _plain_line)
    parts = [
        headline(report, report.published),
        report.url,
        head,
        matched,
        *_story(alert, _named_plain, _plain_line),
    ]
    text = "\n".join(p for p in parts if p)
    room = MAX_MESSAGE_LENGTH - len(text.encode("utf-16-le")) // 2 - 1
    summary = _plain_line(alert.summary, min(MAX_SUMMARY_LENGTH, room // 2))
    return f"{text}\n{summary}" if summary and room > 0 else text


def _why(alert: Alert, write: Callable[[str, int], str]) -> str:
    """What follows the keyword on the "matched" line: the form, when it tells the reader more
    than the keyword, and the word that let an ambiguous name count ("Ganja" beside
    "Azerbaijan", not the cannabis), so the reader sees why the bot took it for the place."""
    notes = []
    if alert.context or _form_differs(alert.keyword, alert.form):
        notes.append(f"as “{write(alert.form, MAX_FORM_LENGTH)}”")
    if alert.context:
        notes.append(f"with “{write(alert.context, MAX_FORM_LENGTH)}”")
    return f" ({', '.join(notes)})" if notes else ""


def _form_differs(keyword: str, form: str) -> bool:
    """Name the form only when it tells the reader more than the keyword they typed."""
    return keyword.strip().lstrip("=").strip('"“”«»').casefold() != form.casefold()
