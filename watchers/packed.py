"""A report's hits as one compact record: how they cross the CPU worker's pipe and how the store
keeps them.

A real ~1,000-character report satisfies hundreds of watches (323 on average, 1,278 at most, in
the benchmark's mix of 30,805). As Python objects (a `Hit` of raw watch strings each) that is
hundreds of tuples and strings per report to pickle, and as one stored row per (watch, report)
millions of rows a day. Here a report's hits are two values: `ids`, the numbers of the watches
found (the store's watch ids, `bot.store.matches`), ascending, each with the number of its
group, and `groups`, the form and context of each group in the matcher's order (one group per
distinct compiled watch: several raw watches may compile to one). Finding whether a report
matched any of a chat's few watches is then a binary search per watch over the ids, without
reading the forms (`pick`).
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence

from watchers.models import Hit, Packed

__all__ = ["pack", "pick", "unpack"]

_SEP = "\x1f"  # the unit separator: never part of a form or context (cleaned text)
_WIDTH = 4  # bytes of each number ("I": 32 bits)


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
    ids = array("I", [len(pairs)])
    ids.extend(number for number, _ in pairs)
    ids.extend(group for _, group in pairs)
    return Packed(_bytes(ids), _SEP.join(texts))


def pick(ids: bytes, wanted: Iterable[int] | None = None) -> dict[int, list[int]]:
    """The groups holding any of the `wanted` watch numbers (default: every group), each with
    those numbers in it; empty when none is there."""
    count = int.from_bytes(ids[:_WIDTH], "little")
    end = _WIDTH * (count + 1)
    numbers = _numbers(ids[_WIDTH:end])
    found: dict[int, list[int]] = {}
    if wanted is None:
        for number, group in zip(numbers, _numbers(ids[end:]), strict=True):
            found.setdefault(group, []).append(number)
        return found
    groups: array[int] | None = None
    for number in wanted:
        at = bisect_left(numbers, number)
        while at < count and numbers[at] == number:
            if groups is None:
                groups = _numbers(ids[end:])
            found.setdefault(groups[at], []).append(number)
            at += 1
    return found


def unpack(groups: str, picked: Mapping[int, Sequence[int]], names: Mapping[int, str]) -> list[Hit]:
    """The picked groups (`pick`) as `Hit`s, in the matcher's order, their watch numbers turned
    into the raw watches `names` gives for them (numbers it lacks are left out)."""
    texts = groups.split(_SEP)
    found: list[Hit] = []
    for group in sorted(picked):
        watches = tuple(names[n] for n in picked[group] if n in names)
        if watches:
            found.append(Hit(watches, texts[2 * group], texts[2 * group + 1]))
    return found
