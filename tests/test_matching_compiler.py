"""Compiling every chat's watches together: each distinct watch once, shared by the chats that
hold it; bad watches skipped; context words indexed once."""

from __future__ import annotations

import logging

import pytest

from tests.matching_helpers import fanned_out
from watchers.matching import AliasBook, Found, Matcher, load_aliases


@pytest.fixture(scope="module")
def aliases() -> AliasBook:
    return load_aliases()


def test_two_watches_of_one_chat_give_two_matches(aliases: AliasBook) -> None:
    matcher = Matcher.build([(7, "Lachin"), (7, "Karabakh"), (7, "Shusha"), (8, "Lachin")], aliases)
    assert matcher.match("Лачин и Карабах") == [
        Found("Лачин", ((7, "Lachin"), (8, "Lachin"))),
        Found("Карабах", ((7, "Karabakh"),)),
    ]


def test_duplicate_pairs_match_once_and_bad_watches_are_skipped(
    aliases: AliasBook, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="watchers.matching"):
        matcher = Matcher.build(
            [(1, "Lachin"), (1, "Lachin"), (2, '"broken'), (3, "lachin")], aliases
        )
    assert matcher.match("Lachin") == [Found("Lachin", ((1, "Lachin"), (3, "lachin")))]
    assert "broken" in caplog.text


def test_a_watch_many_chats_hold_is_matched_once(aliases: AliasBook) -> None:
    """10,000 chats holding one name, under any of its spellings, cost one evaluation and one
    result: the fan-out to the chats is the caller's, from one shared tuple."""
    spellings = ["Karabakh", "Qarabağ", "Нагорный Карабах", "karabakh"]
    watches = [(chat, spellings[chat % 4]) for chat in range(10_000)]
    matcher = Matcher.build([*watches, (1, "Karabakh -football")], aliases)
    assert matcher.size.watches == 2
    first, second = matcher.match("Qarabağda sülh"), matcher.match("Qarabağda sülh")
    assert [len(found.holders) for found in first] == [10_000, 1]
    assert first[0].holders == tuple(watches)
    assert first[0].holders is second[0].holders
    assert [found.form for found in first] == ["Qarabağda", "Qarabağda"]


def test_matcher_without_watches_matches_nothing(aliases: AliasBook) -> None:
    assert Matcher.build([], aliases).match("Lachin", "Karabakh") == []


def test_thousand_chats_with_five_watches_each(aliases: AliasBook) -> None:
    chats = range(1000)

    def watches_of(chat: int) -> list[str]:
        return [
            f"topic{chat}",
            f'"alpha{chat} beta"',
            "Karabakh",
            f"gamma{chat % 50} OR delta{chat}",
            f"Lachin -noise{chat}",
        ]

    matcher = Matcher.build(
        [(chat, watch) for chat in chats for watch in watches_of(chat)], aliases
    )
    title = "Karabakh: topic417 and alpha3 beta"
    text = "Laçın road, gamma7 and delta900; noise5"
    expected = set()
    for chat in chats:
        expected.add((chat, "Karabakh", "Karabakh"))
        if chat != 5:
            expected.add((chat, f"Lachin -noise{chat}", "Laçın"))
        if chat == 417:
            expected.add((chat, "topic417", "topic417"))
        if chat == 3:
            expected.add((chat, '"alpha3 beta"', "alpha3 beta"))
        if chat % 50 == 7:
            expected.add((chat, f"gamma{chat % 50} OR delta{chat}", "gamma7"))
        if chat == 900:
            expected.add((chat, "gamma0 OR delta900", "delta900"))
    found = fanned_out(matcher.match(title, text))
    assert len(found) == len(set(found))
    assert set(found) == expected


def test_context_words_are_indexed_once_and_only_when_needed(aliases: AliasBook) -> None:
    plain = Matcher.build([(1, "Lachin corridor"), (2, "Baku")], aliases)
    assert plain.size.context_words == 0
    many = Matcher.build([(chat, "Ganja") for chat in range(100)], aliases)
    one = Matcher.build([(1, "Ganja")], aliases)
    assert many.size == one.size
    assert one.size.context_words > 0
