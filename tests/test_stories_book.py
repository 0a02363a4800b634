"""Grouping reports into stories (`watchers.stories`): handwritten reports of one event in three
languages, another event in the same place, and the book's bounds and restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchers.matching import load_aliases
from watchers.models import Report
from watchers.stories import Fingerprint, PlaceFinder, StoryBook, Tuning

T = datetime(2026, 12, 1, 6, tzinfo=UTC)


def _report(name: str, title: str, text: str, language: str, hours: float) -> Report:
    url = f"https://{name}.test/1"
    return Report(
        url, url, url, title, text, published=T + timedelta(hours=hours), outlet=name,
        domain=f"{name}.test", language=language,
    )  # fmt: skip


STRIKE = [
    _report(
        "wire",
        "Missile strike on Ganja apartment block kills 7, wounds 34",
        "7 civilians were killed and 34 wounded when a missile hit a residential building "
        "in Ganja, Azerbaijan's second city, overnight, the prosecutor general said.",
        "en",
        0,
    ),
    _report(
        "vesti",
        "Ракетный удар по жилому дому в Гяндже: 7 погибших, 34 раненых",
        "В результате ночного ракетного удара по жилому дому в Гяндже погибли 7 мирных "
        "жителей, ещё 34 человека ранены, сообщила генпрокуратура.",
        "ru",
        1,
    ),
    _report(
        "xeber",
        "Gəncəyə raket zərbəsi: 7 nəfər həlak olub, 34 nəfər yaralanıb",
        "Gecə Gəncədə yaşayış binasına raket zərbəsi nəticəsində 7 mülki şəxs həlak olub, "
        "34 nəfər yaralanıb, Baş Prokurorluq bildirib.",
        "az",
        2,
    ),
]
PARK = _report(
    "city",
    "Ganja opens a new park and a public library",
    "The mayor of Ganja, Azerbaijan's second city, opened a park and a library on Tuesday.",
    "en",
    3,
)


@pytest.fixture(scope="module")
def finder() -> PlaceFinder:
    return PlaceFinder(load_aliases())


def test_one_event_in_two_languages_is_one_story_and_another_in_its_place_is_not(
    finder: PlaceFinder,
) -> None:
    book = StoryBook()
    stories = book.assign(finder.fingerprints([*STRIKE, PARK], T))
    assert stories[1] == stories[2]  # Russian and Azerbaijani
    assert stories[3] == PARK.id


def test_reports_arriving_poll_by_poll_join_the_story_they_tell(finder: PlaceFinder) -> None:
    book = StoryBook()
    stories = [book.assign([finder.fingerprint(r, T)])[0] for r in [*STRIKE, PARK]]
    assert stories == [STRIKE[0].id] * 3 + [PARK.id]


def test_the_same_text_days_later_is_another_story(finder: PlaceFinder) -> None:
    book = StoryBook()
    first = book.assign([finder.fingerprint(STRIKE[0], T)])
    again = _report("wire2", STRIKE[0].title, STRIKE[0].text, "en", 24 * 6)
    assert book.assign([finder.fingerprint(again, T)]) != first


def test_a_place_alone_does_not_make_a_story(finder: PlaceFinder) -> None:
    talks = _report("a", "Karabakh talks resume", "", "en", 0)
    football = _report("b", "Football: fans celebrate in Karabakh", "", "en", 0)
    assert len(set(StoryBook().assign(finder.fingerprints([talks, football], T)))) == 2


def test_a_reopened_book_joins_a_later_report_to_a_stored_story(finder: PlaceFinder) -> None:
    book = StoryBook()
    book.restore([("stored-story", finder.fingerprint(STRIKE[0], T))])
    assert book.assign([finder.fingerprint(STRIKE[1], T)]) == ["stored-story"]


def test_open_stories_are_bounded_and_the_least_recently_grown_close(finder: PlaceFinder) -> None:
    book = StoryBook(Tuning(open=5))
    at = T.timestamp()
    for n in range(20):
        book.assign([Fingerprint(f"r{n}", at + n, "x", "en", (f"word{n}", f"other{n}"))])
    assert len(book) == 5
    late = Fingerprint("late", at + 20, "y", "en", ("word0", "other0"))
    assert book.assign([late]) == ["late"]  # r0's story was closed
