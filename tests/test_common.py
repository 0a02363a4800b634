"""Long replies split into messages Telegram accepts, whatever the lines hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import escape
from fakes import parse_html
from handlers.common import split_message, visible_length


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_visible_length_counts_what_telegram_counts() -> None:
    assert visible_length('<b><a href="https://x.test/?a=1&amp;b=2">A &amp; B</a></b>') == 5
    assert visible_length("𝐀 &lt;") == 4  # an astral letter is two UTF-16 units


def test_short_lines_are_packed_and_never_cut() -> None:
    lines = [f"<b>line {n}</b>" for n in range(100)]
    chunks = split_message("\n".join(lines), limit=100)
    assert "\n".join(chunks) == "\n".join(lines)
    assert all(visible_length(chunk) <= 100 for chunk in chunks)


def test_an_over_long_line_is_cut_with_its_tags_closed_and_reopened() -> None:
    line = '<b><a href="https://x.test/">' + "word " * 50 + "</a></b> tail"
    chunks = split_message(line, limit=100)
    assert len(chunks) == 3
    for chunk in chunks:
        text, entities = parse_html(chunk)
        assert _units(text) <= 100
        assert {e["type"] for e in entities} == {"bold", "text_link"} or chunk.endswith("tail")
    assert "".join(parse_html(c)[0] for c in chunks) == "word " * 50 + " tail"


TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\n"), max_size=30)
LINE_PART = st.one_of(
    TEXT.map(escape),
    st.sampled_from(["&amp;", "&lt;", "𝐀", "👨\u200d👩\u200d👧", " "]),
    TEXT.filter(bool).map(lambda t: f"<b>{escape(t)}</b>"),
    TEXT.filter(bool).map(
        lambda t: f'<i><a href="https://x.test/?a=1&amp;b=2">{escape(t)}</a></i>'
    ),
)
"""Lines as handlers write them: balanced HTML, no tag spanning a line break."""
LINE = st.lists(LINE_PART, max_size=20).map("".join)
LONG_LINE = LINE.map(lambda line: line * 10)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.one_of(LINE, LONG_LINE), min_size=1, max_size=12), st.integers(40, 400))
def test_every_chunk_is_valid_html_within_the_limit_and_nothing_is_lost(
    lines: list[str], limit: int
) -> None:
    text = "\n".join(lines)
    chunks = split_message(text, limit)
    visible = [parse_html(chunk)[0] for chunk in chunks]
    assert all(_units(part) <= limit for part in visible)
    whole = parse_html(text)[0]
    assert "".join("".join(part.split()) for part in visible) == "".join(whole.split())


def test_no_chunk_is_blank() -> None:
    assert split_message("x" * 10 + "\n\n \n", limit=10) == ["x" * 10]
