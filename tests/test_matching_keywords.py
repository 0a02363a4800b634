"""Keyword splitting and validation: what /watch accepts and what it refuses, and why."""

from __future__ import annotations

import pytest

from watchers.matching import (
    MAX_KEYWORD_LENGTH,
    KeywordError,
    same_keyword,
    split_keywords,
    validate_keyword,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Lachin", ["Lachin"]),
        ("Lachin, Karabakh", ["Lachin", "Karabakh"]),
        ('"Nagorno, Karabakh", Lachin', ['"Nagorno, Karabakh"', "Lachin"]),
        ("Lachin\nKarabakh", ["Lachin", "Karabakh"]),
        ("a,,b", ["a", "", "b"]),
        ("", []),
        ("   ", []),
    ],
)
def test_split_keywords(line: str, expected: list[str]) -> None:
    assert split_keywords(line) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Lachin  ", "Lachin"),
        ('"peace   treaty"', '"peace treaty"'),
        ("<b>", "<b>"),
        ("A&B", "A&B"),
        ("Laçın", "Laçın"),
        ("tab\tseparated", "tab separated"),
        # direction marks and invisible breaks change no letter: dropped, so duplicates are seen
        ("Laçın\u200f", "Laçın"),
        ("\u200eLachin", "Lachin"),
        ("\u061cلاچین", "لاچین"),
        ("Kara\u00adbakh", "Karabakh"),
        ("zero\u200bwidth", "zerowidth"),
        ("\ufeffBaku\u2060", "Baku"),
        # format characters that are part of the text are kept as written
        ("Xan\u200ckendi", "Xan\u200ckendi"),
        ("Baku👨\u200d👩\u200d👧", "Baku👨\u200d👩\u200d👧"),
        ('"families 👨\u200d👩\u200d👧 return"', '"families 👨\u200d👩\u200d👧 return"'),
        ("Baku❤\ufe0f", "Baku❤\ufe0f"),
        ("Wales🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",) * 2,
        ("葛\U000e0100城", "葛\U000e0100城"),  # an ideographic variation selector
    ],
)
def test_valid_keywords_are_tidied(raw: str, expected: str) -> None:
    assert validate_keyword(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ('""', "empty"),
        ("x" * (MAX_KEYWORD_LENGTH + 1), "at most"),
        ("bad\x00word", "control"),
        ("bell\x07", "control"),
        ("lone\ud800surrogate", "control"),
        ("a\u202eb", "direction overrides"),
        ("\u202aLachin\u202c", "direction overrides"),
        ("\u2066Lachin\u2069", "direction overrides"),
        ('"unclosed', "quote"),
    ],
)
def test_invalid_keywords_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(KeywordError, match=reason):
        validate_keyword(raw)


def test_a_keyword_of_exactly_the_limit_is_accepted() -> None:
    assert validate_keyword("x" * MAX_KEYWORD_LENGTH) == "x" * MAX_KEYWORD_LENGTH


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("Lachin", "lachin", True),
        ("Laçın", "LACIN", True),
        ("Qarabağ", "Qarabag", True),
        ("Lachin", "Lachin corridor", False),
    ],
)
def test_same_keyword_ignores_case_and_accents(left: str, right: str, same: bool) -> None:
    assert same_keyword(left, right) is same


def test_a_keyword_with_a_direction_mark_is_the_same_as_without() -> None:
    assert validate_keyword("Laçın\u200f") == validate_keyword("Laçın")
    assert same_keyword(validate_keyword("\u200fLACIN"), "Laçın")
