"""The watch syntax: clauses, phrases, OR, exclusions and exact terms, and the reasons a watch is
refused."""

from __future__ import annotations

import pytest

from watchers.matching import Term, Watch, parse_watch


def test_parse_watch_structure() -> None:
    assert parse_watch(
        'Stepanakert OR Khankendi "peace treaty" -football -="Lachin road" =Baku'
    ) == Watch(
        clauses=(
            (Term("Stepanakert"), Term("Khankendi")),
            (Term("peace treaty"),),
            (Term("Baku", exact=True),),
        ),
        excluded=(Term("football"), Term("Lachin road", exact=True)),
    )
    assert parse_watch("peace treaty") == Watch(clauses=((Term("peace"),), (Term("treaty"),)))
    assert parse_watch("“Lachin corridor”") == Watch(clauses=((Term("Lachin corridor"),),))
    assert parse_watch('"OR"').clauses == ((Term("OR"),),)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("-football", "only exclusions"),
        ('"Nagorno Karabakh', "closing quote"),
        ("Lachin OR", "both sides of OR"),
        ("OR Lachin", "both sides of OR"),
        ("Lachin OR OR Berdzor", "both sides of OR"),
        ("Lachin OR -Berdzor", "cannot be one side of OR"),
        ('Lachin ""', "empty phrase"),
        ("Lachin - football", "right before a word"),
        ("Lachin !!!", "no letters or digits"),
    ],
)
def test_parse_watch_refuses_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_watch(raw)


def test_a_watch_is_read_once() -> None:
    """Builds, search polls and /watch read the same watches again and again: the same text
    gives the same (immutable) reading, not a new one."""
    assert parse_watch("Lachin -football") is parse_watch("Lachin -football")
