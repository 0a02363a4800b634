"""One place, one watch: which watches cover, replace or only share a place with another.

Compared conservatively: only the same meaning, written with other spellings of the same
places, counts; an exclusion on one watch of a place counts for all of them in the chat.
"""

from __future__ import annotations

import pytest

from watchers.matching import Placement, load_aliases, place_vetoes, placement, shared_exclusions

BOOK = load_aliases()


@pytest.mark.parametrize(
    ("new", "existing", "expected"),
    [
        # another spelling of the place, or one exact spelling of it
        ("Лачин", ["Lachin"], Placement(covered_by="Lachin")),
        ("=Лачин", ["Lachin"], Placement(covered_by="Lachin")),
        ("Şuşa OR Ստեփանակերտ", ["Stepanakert OR Shusha"], Placement("Stepanakert OR Shusha")),
        ('"Лачинский коридор" peace', ["Lachin corridor peace"], Placement(covered_by=None)),
        ('"Лачинский коридор"', ["Lachin corridor"], Placement(covered_by="Lachin corridor")),
        ("Ղարաբաղ -football", ["Karabakh -football"], Placement("Karabakh -football")),
        # wider: it replaces the narrower watch
        ("Lachin", ["=Лачин", "Baku"], Placement(replaces=("=Лачин",))),
        # different meanings are both kept
        ("Lachin Stepanakert", ["Lachin"], Placement()),
        ("Lachin OR Baku", ["Lachin"], Placement()),
        ("=Ganja", ["Ganja"], Placement()),  # every "Ganja", not only the city's
        ("Ganja", ["=Ganja"], Placement()),
        ("=Лачин", ["=Laçın"], Placement()),
        # with exclusions, which hold for every watch of the place in the chat
        ("Ղարաբաղ", ["Karabakh -football"], Placement(covered_by="Karabakh -football")),
        ("Karabakh", ["Karabakh -football"], Placement(covered_by="Karabakh -football")),
        ("Karabakh -football", ["Ղարաբաղ"], Placement(replaces=("Ղարաբաղ",))),
        ("Karabakh -football", ["Ղարաբաղ -Baku"], Placement()),
        ("Karabakh OR Armenia", ["Karabakh -football"], Placement()),
        ("Karabakh peace", ["Karabakh -football"], Placement()),
        ("Lachin", ["=Лачин -football"], Placement()),
    ],
)
def test_placement(new: str, existing: list[str], expected: Placement) -> None:
    assert placement(new, existing, BOOK) == expected


def test_a_place_named_by_several_watches_shares_their_exclusions() -> None:
    watches = ["Karabakh -football", "Ղարաբաղ OR Baku", "Lachin -corridor", "Stepanakert", "Baku"]
    [karabakh] = shared_exclusions(watches, BOOK)
    assert (karabakh.place, karabakh.watches) == ("Karabakh", tuple(watches[:2]))
    assert karabakh.veto == '"Karabakh" OR "Ղարաբաղ" "football"'
    vetoes = place_vetoes([(1, w) for w in watches] + [(2, "Karabakh -football")], BOOK)
    assert vetoes == {(1, karabakh.veto): frozenset(watches[:2])}
