"""A report's hits as one compact record: how they cross the CPU worker's pipe and how the store
keeps them.

A real ~1,000-character report satisfies hundreds of watches (323 on average, 1,278 at most, in
the benchmark's mix of 30,805). As Python objects (a `Hit` of raw watch strings each) that is
hundreds of tuples and strings per report to pickle, and as one stored row per (watch, report)
millions of rows a day. Here a report's hits are three values: `ids`, the numbers of the
watches found (the store's watch ids, `bot.store.matches`), ascending; `members`, the group of
each; and `groups`, the form and context of each group in the matcher's order (one group per
distinct compiled watch: several raw watches may compile to one). Finding whether a report
matched any of a chat's few watches is then a binary search per watch over the ids alone
(`present`), without reading the rest.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping, Sequence

from watchers.models import Hit, Packed

__all__ = ["pack", "present", "unpack"]

_SEP = "\x1f"  # the unit separator: never part of a form or context (cleaned text)


def _numbers(data: bytes) -> array[int]:
    numbers = array("I")
    numbers.frombytes(data)
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


def _bytes(numbers: array[int]) -> bytes:
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers.tobytes()


def pack(found: Iterable[tuple[str, str, Iterable[int]]]) -> Packed | None:
    """(form, context, watch numbers) of each distinct watch found, in the matcher's order, as
    one record; None when nothing was found."""
    pairs: list[tuple[int, int]] = []
    texts: list[str] = []
    for group, (form, context, numbers) in enumerate(found):
        texts += (form, context)
        pairs.extend((number, group) for number in numbers)
    if not texts:
        return None
    pairs.sort()
    ids = array("I", (number for number, _ in pairs))
    members = array("I", (group for _, group in pairs))
    return Packed(_bytes(ids), _bytes(members), _SEP.join(texts))


def present(ids: bytes, wanted: Iterable[int]) -> list[int]:
    """Which of the `wanted` watch numbers a record's `ids` hold: a binary search for each,
    without copying the ids (on a little-endian machine)."""
    numbers: Sequence[int]
    if sys.byteorder == "little":
        numbers = memoryview(ids).cast("I")
    else:
        numbers = _numbers(ids)
    count = len(numbers)
    found: list[int] = []
    for number in wanted:
        at = bisect_left(numbers, number)
        if at < count and numbers[at] == number:
            found.append(number)
    return found


def unpack(
    packed: Packed, names: Mapping[int, str], only: Collection[int] | None = None
) -> list[Hit]:
    """The record as `Hit`s, in the matcher's order, their watch numbers turned into the raw
    watches `names` gives for them; only the numbers in `only` when given (numbers `names`
    lacks are left out, and so is a group left with none)."""
    texts = packed.groups.split(_SEP)
    by_group: dict[int, list[str]] = {}
    for number, group in zip(_numbers(packed.ids), _numbers(packed.members), strict=True):
        if (only is None or number in only) and number in names:
            by_group.setdefault(group, []).append(names[number])
    return [
        Hit(tuple(by_group[group]), texts[2 * group], texts[2 * group + 1])
        for group in sorted(by_group)
    ]
