"""Alerts and /latest lines as Telegram HTML, checked by the fake server's copy of Telegram's parser."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render import MAX_TITLE_LENGTH, render_alert, render_report_line
from tests.fake_telegram import parse_html
from watchers.models import Alert, Report

WHEN = datetime(2026, 11, 24, 9, 15, tzinfo=UTC)


def _report(
    title: str = "Convoy reaches Laçın", url: str = "https://wire.test/a?x=1&y=<2>"
) -> Report:
    return Report(
        id=url, url=url, canonical_url=url, title=title, outlet="A&B <News>", published=WHEN
    )


def test_alert_is_valid_html_with_everything_escaped() -> None:
    alert = Alert(
        1,
        _report("Tanks & <talks> in Laçın"),
        "Lachin",
        "Laçın",
        "Trucks crossed <b>the</b> checkpoint & more.",
    )
    text, entities = parse_html(render_alert(alert))
    assert text.splitlines() == [
        "Tanks & <talks> in Laçın",
        "A&B <News> · 24 Nov 2026 09:15 UTC",
        "🔎 Lachin (as “Laçın”)",
        "Trucks crossed <b>the</b> checkpoint & more.",
    ]
    [link] = [e for e in entities if e["type"] == "text_link"]
    assert link["url"] == "https://wire.test/a?x=1&y=<2>"


def test_the_form_is_named_only_when_it_differs_from_the_keyword() -> None:
    same = Alert(1, _report(), "lachin", "Lachin", "")
    assert "(as" not in render_alert(same)
    exact = Alert(1, _report(), "=Lachin", "Lachin", "")
    assert "(as" not in render_alert(exact)


def test_a_huge_title_is_cut_at_a_word() -> None:
    title = "word " * 400
    text, _ = parse_html(render_alert(Alert(1, _report(title), "word", "word", "s")))
    first = text.splitlines()[0]
    assert len(first) <= MAX_TITLE_LENGTH and first.endswith("word…")


def test_report_line_for_latest() -> None:
    text, _ = parse_html(render_report_line(_report(), WHEN, "Laçın"))
    assert text == "Convoy reaches Laçın\nA&B <News> · 24 Nov 2026 09:15 UTC · matched “Laçın”"
