"""Keys that meet across scripts and endings (`watchers.stories.keys`), and how much a shared
key is worth (`watchers.stories.frequencies`)."""

from __future__ import annotations

import pytest

from watchers.stories.frequencies import HALF_LIFE, Frequencies
from watchers.stories.keys import word_keys


@pytest.mark.parametrize(
    "spellings",
    [
        ["Vardanyan", "Варданян", "Վարդանյան", "Vardanjan"],
        ["Pashinyan", "Пашинян", "Փաշինյան", "Paşinyan"],
        ["raket", "ракетный", "ракетой", "raketa"],
        ["Stepanakert", "Степанакерт", "Ստեփանակերտ"],
    ],
)
def test_a_name_has_one_key_in_every_script_and_spelling(spellings: list[str]) -> None:
    keys = {tuple(word_keys(spelling)) for spelling in spellings}
    assert len(keys) == 1
    assert keys != {()}


def test_different_words_have_different_keys() -> None:
    assert word_keys("Vardanyan Babayan Ganja Barda") == ["varda", "babai", "ganja", "barda"]


def test_numbers_are_kept_short_words_and_long_digit_runs_are_not() -> None:
    assert word_keys("at 02 am, 7 of 034 and id 123456789") == ["#2", "#7", "#34"]


def test_each_word_once() -> None:
    assert word_keys("Ganja, Ganja and again GANJA") == ["ganja", "again"]


def test_a_key_in_every_report_weighs_nothing_and_a_rare_one_the_most() -> None:
    frequencies = Frequencies()
    for n in range(500):
        frequencies.add(["said", f"word{n}"])
    assert frequencies.weight("said") < 0.1
    assert frequencies.weight("word7") < frequencies.weight("never")
    assert frequencies.weight("never") > 5


def test_counts_are_halved_so_that_they_stay_bounded_and_keep_their_ratios() -> None:
    frequencies = Frequencies()
    for n in range(2 * HALF_LIFE):
        frequencies.add(["common", "half"] if n % 2 else ["common"])
    assert frequencies.reports == HALF_LIFE
    assert frequencies.weight("common") < 0.01
    assert frequencies.weight("half") == pytest.approx(0.693, abs=0.01)
