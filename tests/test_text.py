"""Folding: what it makes equal, and the fast table path agreeing with the per-character rule."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from watchers.text import CharMap, fold, fold_char, fold_with_offsets


def test_fold_ignores_case_accents_and_turkic_letters() -> None:
    assert fold("Laçın") == fold("LACIN") == fold("Lacin") == "lacin"
    assert fold("Xankəndi") == fold("XANKƏNDİ") == "xankendi"
    assert fold("Straße") == "strasse"
    assert fold("E\u0301") == fold("É") == "e"


def test_offsets_point_back_to_the_character_each_piece_came_from() -> None:
    assert fold_with_offsets("Laçın") == ("lacin", [0, 1, 2, 3, 4])
    assert fold_with_offsets("Maß!") == ("mass!", [0, 1, 2, 2, 3])  # one character, two
    assert fold_with_offsets("e\u0301x") == ("ex", [0, 2])  # a lone mark folds to nothing


def test_apply_says_when_the_output_lines_up_with_the_input() -> None:
    upper = CharMap(str.upper)
    assert upper.apply("abc") == ("ABC", None)
    assert upper.apply("aßc") == ("ASSC", [0, 1, 1, 2])
    assert upper.apply("a\uffffc") == ("A\uffffC", [0, 1, 2])  # the table's own mark, in a text
    assert upper("aßc") == "ASSC"


def test_a_text_of_more_characters_than_a_table_keeps_still_folds_them_all() -> None:
    text = "".join(map(chr, range(0x4E00, 0x4E00 + 70_000)))  # CJK and beyond, all distinct
    assert fold(text) == "".join(fold_char(char) for char in unicodedata.normalize("NFC", text))


_TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("ıİəƏßﬁ\u0301\u0306\uffffÅåÇçŞşЁёЙй’'"),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(text=_TEXT)
def test_tables_agree_with_folding_each_character(text: str) -> None:
    """The translate tables are only a cache: the result is the per-character rule's."""
    pieces = [fold_char(char) for char in text]
    folded, offsets = fold_with_offsets(text)
    assert folded == "".join(pieces)
    assert offsets == [index for index, piece in enumerate(pieces) for _ in piece]
    assert fold(text) == "".join(fold_char(c) for c in unicodedata.normalize("NFC", text))


def test_arabic_and_persian_letters_fold_together() -> None:
    assert (
        fold("كنجة") == fold("کنجه") == fold("كنجَة") == fold("كنـجة")
    )  # ك/ک, ة/ه, tashkeel, tatweel
    assert fold("قره\u200cباغ") == fold("قرهباغ")  # the zero-width non-joiner
    assert fold("أذربيجان") == fold("آذربيجان") == fold("اذربیجان")  # hamza seats, ی/ي
    assert fold("شوشى") == fold("شوشي")  # alef maksura
    assert fold("گنجه") != fold("كنجه")  # Persian g stays apart from k
