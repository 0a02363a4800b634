"""Styled and look-alike letters in keywords: folded with a note, refused, or left alone.

Real names of the region's languages must never be touched: every spelling of the alias file
and every keyword and word of the real-text set is checked.
"""

from __future__ import annotations

import pytest
import regex

from bench.realtext import FIXTURE, load_cases
from watchers.matching import KeywordError, load_aliases, tidy_keyword


@pytest.mark.parametrize(
    ("raw", "folded", "note"),
    [
        ("Lаchin", "Lachin", "Cyrillic letters among Latin ones that look the same (а)"),
        ("Лaчин", "Лачин", "Latin letters among Cyrillic ones that look the same (a)"),
        ("Nagorno-Кarabakh", "Nagorno-Karabakh", "(К)"),
        ("Kαrabakh -football", "Karabakh -football", "Greek letters among Latin"),
        ("Աuկերան", "Ասկերան", "Latin letters among Armenian ones that look the same (u)"),
        ("𝐋𝐚𝐜𝐡𝐢𝐧", "Lachin", "styled letters"),
        ("Ｌａｃｈｉｎ", "Lachin", "styled letters"),
        ('"𝘱𝘦𝘢𝘤𝘦 𝘵𝘳𝘦𝘢𝘵𝘺"', '"peace treaty"', "styled letters"),
    ],
)
def test_look_alikes_and_styled_letters_are_folded_with_a_note(
    raw: str, folded: str, note: str
) -> None:
    keyword, notes = tidy_keyword(raw)
    assert keyword == folded
    assert len(notes) == 1
    assert note in notes[0]


@pytest.mark.parametrize(
    ("raw", "scripts"),
    [
        ("Xankәndi", "Cyrillic and Latin"),  # ә looks like Latin ə and ǝ: no one choice
        ("Lаchин", "Cyrillic and Latin"),  # as many letters of each
    ],
)
def test_a_mix_that_cannot_be_folded_is_refused(raw: str, scripts: str) -> None:
    with pytest.raises(KeywordError, match=f"mixes {scripts} letters that look alike"):
        tidy_keyword(raw)


@pytest.mark.parametrize(
    "kept",
    ["Երևան", "ロシア軍", "Tシャツ", "서울市", "葛\U000e0100城", "Xan\u200ckendi", "µm", "Ørsted"],
)
def test_normal_writing_is_left_alone(kept: str) -> None:
    """Ligatures that are spelling (Armenian և), Han with kana or Hangul, letters of two
    scripts that look like nothing of each other."""
    assert tidy_keyword(kept) == (kept, [])


def test_every_listed_spelling_and_real_text_keyword_is_kept_as_written() -> None:
    book = load_aliases()
    spellings = [form.text for group in book.groups for form in (*group.forms, *group.other)]
    keywords = {case.keyword for case in load_cases(FIXTURE)}
    context = [form.text for form in book.context_words]
    for text in [*spellings, *context, *keywords]:
        assert tidy_keyword(text) == (text, []), text


def test_no_word_of_real_text_is_refused() -> None:
    """Real Azerbaijani text does mix in Cyrillic е ("obyеkti"): those are folded, never
    refused, and nothing else of some 4,500 words in 13 languages changes."""
    words = {
        word for case in load_cases(FIXTURE) for word in regex.findall(r"[\p{L}\p{M}]+", case.quote)
    }
    changed = {}
    for word in words:
        keyword, notes = tidy_keyword(word)
        if keyword != word:
            changed[word] = keyword
            assert "Cyrillic letters among Latin ones" in notes[0]
    assert len(words) > 4000
    assert changed == {
        "obyеkti": "obyekti",
        "kеçmiş": "keçmiş",
        "sənayе": "sənaye",
    }
