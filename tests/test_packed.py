"""A report's hits as one record (`watchers.packed`): what goes in comes out, in the matcher's
order, and a chat's few watches are picked out by number without reading the others."""

from __future__ import annotations

from watchers.models import Hit
from watchers.packed import pack, present, unpack

NAMES = {3: "Lachin", 9: "Laçın", 70_000: "Shusha", 5: "Ganja"}


def test_every_group_comes_back_in_the_matchers_order() -> None:
    packed = pack([("Şuşa", "", [70_000]), ("Laçın", "", [9, 3]), ("Gəncə", "Azerbaijan", [5])])
    assert packed is not None
    assert unpack(packed, NAMES) == [
        Hit(("Shusha",), "Şuşa"),
        Hit(("Lachin", "Laçın"), "Laçın"),
        Hit(("Ganja",), "Gəncə", "Azerbaijan"),
    ]


def test_only_the_wanted_watches_are_picked() -> None:
    packed = pack([("Şuşa", "", [70_000]), ("Laçın", "", [9, 3]), ("Gəncə", "Azerbaijan", [5])])
    assert packed is not None
    assert present(packed.ids, [3, 4]) == [3]
    assert present(packed.ids, [1, 2, 70_001]) == []
    assert unpack(packed, NAMES, only={70_000, 5}) == [
        Hit(("Shusha",), "Şuşa"),
        Hit(("Ganja",), "Gəncə", "Azerbaijan"),
    ]


def test_nothing_found_is_no_record() -> None:
    assert pack([]) is None
