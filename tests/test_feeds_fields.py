"""Tests for the plain forms of a report's fields: dates and one-line text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchers.feeds import one_line, parse_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Wed, 19 jan 2026 00:00:00 GMT", datetime(2026, 1, 19, tzinfo=UTC)),
        ("Tue, 17 Feb 2026 12:00:00 +0400", datetime(2026, 2, 17, 8, 0, tzinfo=UTC)),
        ("2026-02-18T09:15:00+04:00", datetime(2026, 2, 18, 5, 15, tzinfo=UTC)),
        ("2026-02-18T00:15:00Z", datetime(2026, 2, 18, 0, 15, tzinfo=UTC)),
        ("2026-02-18T00:15:00", datetime(2026, 2, 18, 0, 15, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, expected: datetime | None) -> None:
    assert parse_date(value) == expected


def test_clean_text() -> None:
    assert one_line("<![CDATA[  A  <em>b</em>\n c &amp; d ]]>") == "A b c & d"
    assert one_line("1 &lt; 2 and 3 > 2") == "1 < 2 and 3 > 2"
    assert one_line("<p>Text <b>bold</b></p>") == "Text bold"
    assert one_line("Ceasefire <violations> & shelling") == "Ceasefire <violations> & shelling"
    assert one_line("Talks\x00 resume\x07") == "Talks resume"
    assert one_line("word " * 300, 20) == "word word word word…"
    assert one_line(None) == ""
