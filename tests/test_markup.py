"""HTML told from plain text, HTML made plain, control characters, cutting at grapheme clusters."""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from watchers.markup import (
    ELLIPSIS,
    cut,
    html_to_text,
    looks_like_html,
    visible,
    without_controls,
)

FAMILY = "👨\u200d👩\u200d👧"
FLAG = "🇦🇿"
WALES = "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"


@pytest.mark.parametrize(
    "text",
    [
        "<p>Text <b>bold</b></p>",
        "Tom &amp; Jerry",
        "1 &lt; 2",
        "Caf&eacute; &#233; &#xE9;",
        "<script>x()</script>",
        "Line<br/>break &nbsp;",
        '<a href="https://news.google.com/x">Title</a>&nbsp;<font color="#6f6f6f">Reuters</font>',
        "Word <o:p></o:p> junk",
        '<img src="karabakh.jpg"> Talks resume',  # no closing tag, but an attribute
        "Line one<br/>Line two",
        "Line one<BR>Line two",
    ],
)
def test_html_is_recognised(text: str) -> None:
    assert looks_like_html(text)


@pytest.mark.parametrize(
    "text",
    [
        "Ceasefire <violations> & shelling",
        "Use <b> for bold",  # no closing tag, no entity, no attribute
        "Ceasefire <violations /> & shelling",  # self-closing, but no HTML element
        "Use <p> for paragraphs",  # a bare start tag is not enough
        "I <3 Baku & Tbilisi",
        "x < y and y > z",
        "Ceasefire <violations> &amp; shelling",  # an entity, but a tag HTML does not know
        "Fish &chips; with <b>sauce</b>",  # `&chips;` is no HTML entity
        "",
    ],
)
def test_plain_text_is_not_taken_for_html(text: str) -> None:
    assert not looks_like_html(text)


def test_html_to_text_keeps_escaped_markup_visible() -> None:
    assert html_to_text("<p>Talks on &lt;customs&gt; &amp; more</p><script>x()</script>") == (
        "\n\nTalks on <customs> & more\n\n"
    )


def test_controls_bidi_and_marks_go_whitespace_and_joiners_stay() -> None:
    assert without_controls("a\x00b\x07c\x9f\ud800d") == "abcd"
    assert without_controls("\u202eLa\u00adçın\u202c \u2067x\u2069\u200f\u200b\ufeff") == "Laçın x"
    kept = f"tab\tnew\nline {FAMILY} \u200d\ufe0f \u200c"
    assert without_controls(kept) == kept


def test_visible_tells_a_headline_that_shows_nothing() -> None:
    assert not any(map(visible, ["", " \n", "\u200d\ufe0f", "\u3164\u2800", "\u0301"]))
    assert all(map(visible, ["a", "7", ".", "❤\ufe0f", "Laçın"]))


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("word " * 10, 12, "word word…"),
        ("x" * 20, 5, "xxxx…"),
        (FAMILY * 5, 7, FAMILY + ELLIPSIS),  # 5 code points each: one fits in 6, not two
        ("e\u0301" * 5, 4, "e\u0301" + ELLIPSIS),  # never an accent without its letter
        ("a" + FLAG * 3, 5, "a" + FLAG + ELLIPSIS),
        (WALES * 2, 8, WALES + ELLIPSIS),
    ],
)
def test_cut(text: str, limit: int, expected: str) -> None:
    assert cut(text, limit) == expected


CLUSTERS = st.sampled_from([FAMILY, FLAG, WALES, "e\u0301", "❤️", "👍🏽", "a", " ", "ş", "Ա"])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(CLUSTERS, max_size=60).map("".join), st.integers(min_value=1, max_value=40))
def test_cut_never_splits_a_grapheme_cluster_and_respects_the_limit(text: str, limit: int) -> None:
    result = cut(text, limit)
    assert len(result) <= limit
    if result != text:
        head = result.removesuffix(ELLIPSIS)
        assert text.startswith(head)
        clusters = regex.findall(r"\X", text)
        boundaries = {sum(len(c) for c in clusters[:n]) for n in range(len(clusters) + 1)}
        assert len(head) in boundaries
