"""Fuzzing `parse_feed`: whatever arrives, it returns, and only bounded, plain strings."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from watchers.feeds import (
    MAX_OUTLET_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    FeedResult,
    parse_feed,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"

SEEDS = sorted(path.read_bytes() for path in FIXTURES.glob("*.xml"))
SNIPPETS = [
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"&lt;b&gt;",
    b"&eacute;",
    b"<![CDATA[",
    b"]]>",
    b"</item>",
    b"<item><title>",
    b"</title>",
    b"<b>",
    b"\x00",
    b"\x07",
    b"\xff\xfe",
    b"\xe2\x80\xae",  # U+202E
    "👨\u200d👩\u200d👧".encode(),
    b"x" * 5000,
    b"<title>" + b"Wire " * 1000 + b"</title>",
    b'<source url="https://s.test/" country="' + b"Z" * 3000 + b'">S</source>',
]


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    """A real fixture with a few cuts, insertions and copies."""
    body = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["insert", "delete", "copy", "bytes"]))
        if action == "insert":
            body[at:at] = draw(st.sampled_from(SNIPPETS))
        elif action == "delete":
            del body[at : at + draw(st.integers(1, 200))]
        elif action == "copy":
            start = draw(st.integers(0, len(body)))
            body[at:at] = body[start : start + draw(st.integers(1, 500))]
        else:
            body[at:at] = draw(st.binary(min_size=1, max_size=20))
    return bytes(body)


def _one_plain_line(value: str, limit: int) -> None:
    assert isinstance(value, str)
    assert len(value) <= limit
    assert value == " ".join(value.split())
    assert not any(unicodedata.category(char) in ("Cc", "Cs") for char in value)


def _assert_bounded_and_plain(result: FeedResult) -> None:
    assert isinstance(result, FeedResult)
    _one_plain_line(result.title, MAX_OUTLET_LENGTH)
    assert result.error is None or (isinstance(result.error, str) and len(result.error) <= 300)
    for report in result.reports:
        _one_plain_line(report.title, MAX_TITLE_LENGTH)
        _one_plain_line(report.outlet, MAX_OUTLET_LENGTH)
        assert isinstance(report.text, str)
        assert len(report.text) <= MAX_TEXT_LENGTH
        assert not any(
            unicodedata.category(c) in ("Cc", "Cs") and not c.isspace() for c in report.text
        )
        for value in (report.url, report.canonical_url, report.domain):
            assert isinstance(value, str)
            assert len(value) <= MAX_URL_LENGTH
        assert len(report.id) <= MAX_URL_LENGTH + 2
        for code in (report.language, report.country):
            assert code is None or (code.isalpha() and len(code) <= 3)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes(body: bytes) -> None:
    _assert_bounded_and_plain(parse_feed(body, source="fuzz", feed_url="https://f.test/x"))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(mutated_feeds())
def test_fuzz_mutated_real_feeds(body: bytes) -> None:
    _assert_bounded_and_plain(parse_feed(body, source="fuzz", feed_url="https://f.test/x"))
