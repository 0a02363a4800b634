"""Keyword splitting and validation: what /watch accepts and what it refuses, and why."""

from __future__ import annotations

import pytest

from watchers.keywords import (
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
        ("zero\u200bwidth", "control"),
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
