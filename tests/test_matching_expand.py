"""What a watch stands for: a listed name written as separate words, the spellings search sources
are asked for, and the size rule (one entry per word, within a cap)."""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from tests.matching_helpers import fanned_out
from watchers.matching import (
    MAX_KEYWORD_LENGTH,
    MAX_PATTERNS_PER_WATCH,
    AliasBook,
    AliasGroup,
    Found,
    KeywordError,
    Matcher,
    MatcherSize,
    Watch,
    default_aliases,
    load_aliases,
    parse_watch,
    search_terms,
    validate_keyword,
    watch_cost,
)
from watchers.matching.expand import context_phrases, marked_phrases


@pytest.fixture(scope="module")
def aliases() -> AliasBook:
    return load_aliases()


def test_unquoted_words_that_form_a_listed_name_mean_that_name() -> None:
    """`Lachin corridor` typed without quotes still finds the Russian and Azerbaijani names."""
    aliases = load_aliases()
    matcher = Matcher.build(
        [(1, "Lachin corridor"), (2, "corridor Lachin"), (3, '"Lachin corridor"')], aliases
    )
    assert fanned_out(matcher.match("Движение по Лачинскому коридору")) == [
        (1, "Lachin corridor", "Лачинскому коридору"),
        (3, '"Lachin corridor"', "Лачинскому коридору"),
    ]
    # Other unquoted words still each have to appear, anywhere.
    assert [chat for chat, _, _ in fanned_out(matcher.match("A corridor near Laçın"))] == [2]
    assert "Лачинский коридор" in search_terms(["Lachin corridor"], aliases)


# --- Compiling costs one entry per word, within a cap ---------------------------------------------

EIGHT_WORDS = '"Нагорный Карабахский мирный армянский азербайджанский российский турецкий договор"'


def test_long_russian_phrase_costs_one_entry_per_word(aliases: AliasBook) -> None:
    """Every word of a Russian phrase declines, yet the phrase is indexed word by word (it was
    every combination of the words' forms: 5.6 s and gigabytes for this one watch)."""
    assert validate_keyword(EIGHT_WORDS) == EIGHT_WORDS
    assert watch_cost(parse_watch(EIGHT_WORDS), aliases) == 8
    matcher = Matcher.build([(1, EIGHT_WORDS)], aliases)
    assert matcher.size == MatcherSize(stems=8, words=8, phrases=1, watches=1)
    declined = (
        "о Нагорном Карабахском мирном армянском азербайджанском российском турецком договоре"
    )
    assert [m.form for m in matcher.match(declined)] == [declined.removeprefix("о ")]
    assert matcher.match("нагорный карабахский мирный договор") == []


def _group_costs(aliases: AliasBook) -> list[int]:
    return [watch_cost(parse_watch(f'"{group.name}"'), aliases) for group in aliases.groups]


SCRIPTS = (
    "abcdefghijklmnopqrstuvwxyzçğışəöüXYZ",
    "абвгдежзийклмнопрстуфхцчшщъыьэюяЖЯ",
    "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆԱՖ",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "中国新闻和平条约战争经济",
    "0123456789",
)
EMOJI = "😀🔥❤️🇦🇲"
LISTED = sorted({form.text for group in load_aliases().groups for form in group.forms})
_words = st.one_of(
    *(st.text(st.sampled_from(letters), min_size=1, max_size=9) for letters in SCRIPTS),
    st.text(st.sampled_from("".join(SCRIPTS) + EMOJI + "'’-."), min_size=1, max_size=9),
    st.sampled_from(LISTED),
)
_terms = st.one_of(
    _words,
    st.lists(_words, min_size=2, max_size=20).map(lambda words: '"' + " ".join(words) + '"'),
    _words.map("={}".format),
    _words.map("-{}".format),
)


def _as_long_as_allowed(terms: list[tuple[str, str]]) -> str:
    """Terms joined by their separators for as long as the keyword limit allows."""
    watch = terms[0][0]
    for term, separator in terms[1:]:
        if len(watch) + len(separator) + len(term) > MAX_KEYWORD_LENGTH:
            break
        watch += separator + term
    return watch


_letters = st.sampled_from("".join(SCRIPTS))
WATCHES = st.one_of(
    st.lists(st.tuples(_terms, st.sampled_from([" ", " OR "])), min_size=6, max_size=50).map(
        _as_long_as_allowed
    ),
    # the most words a keyword can hold, and the longest declining phrase
    st.lists(_letters, min_size=50, max_size=50).map(" ".join),
    st.lists(st.text(st.sampled_from(SCRIPTS[1]), min_size=4, max_size=9), min_size=10).map(
        lambda words: _as_long_as_allowed([('"' + " ".join(words), " ")])[:99] + '"'
    ),
)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(raw=WATCHES)
def test_any_storable_watch_compiles_within_the_cap(raw: str) -> None:
    """Whatever the script and shape, a watch the bot accepts costs at most the cap, and at most
    the most expensive name per word written: the cost grows with the words, not their product."""
    aliases = default_aliases()
    try:
        keyword = validate_keyword(raw)
    except KeywordError:
        reject()
    matcher = Matcher.build([(1, keyword)], aliases)
    size = matcher.size
    cost = watch_cost(parse_watch(keyword), aliases)
    written = len(re.findall(r"[^\W_]+", keyword))
    assert size.watches == 1
    assert size.stems <= size.words <= cost + size.context_words
    assert cost <= written * max(_group_costs(aliases))
    matcher.match(keyword, keyword)  # any accepted watch can be matched against its own text


def test_a_watch_over_the_cap_is_refused_in_words_and_skipped_by_the_matcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The rule lives in parse_watch: /watch refuses such a watch with a sentence, and a matcher
    built over a bigger alias file than it was stored under skips it and says so in the log."""
    spellings = ", ".join(f'"Place{number}"' for number in range(MAX_PATTERNS_PER_WATCH + 1))
    path = tmp_path / "aliases.toml"
    path.write_text(f'[[group]]\nname = "Place"\nen = [{spellings}]\n', encoding="utf-8")
    big = load_aliases(path)
    with pytest.raises(ValueError, match="split it into smaller watches"):
        parse_watch("Place7", big)
    assert watch_cost(parse_watch("=Place7", big), big) == 1

    monkeypatch.setattr("watchers.matching.expand.default_aliases", lambda: big)
    with pytest.raises(KeywordError, match=f"more than the {MAX_PATTERNS_PER_WATCH} one watch"):
        validate_keyword("Place7")

    with caplog.at_level(logging.WARNING, logger="watchers.matching"):
        matcher = Matcher.build([(1, "Place7"), (2, "=Place7")], big)
    assert "Place7" in caplog.text
    assert "split it into smaller watches" in caplog.text
    assert matcher.match("Place7 and Place8") == [Found("Place7", ((2, "=Place7"),))]


def test_the_shipped_aliases_refuse_no_watch_within_the_length_limit(aliases: AliasBook) -> None:
    """The costliest watch the shipped names allow (the names that cost most per character, each
    by its shortest spelling) is still well within the cap."""

    def shortest(group: AliasGroup) -> str:
        return min((form.text for form in group.forms if " " not in form.text), key=len)

    def cost(group: AliasGroup) -> int:
        return watch_cost(parse_watch(f'"{group.name}"'), aliases)

    single = [group for group in aliases.groups if any(" " not in f.text for f in group.forms)]
    names = sorted(single, key=lambda group: -cost(group) / (len(shortest(group)) + 1))
    watch = _as_long_as_allowed([(shortest(group), " ") for group in names])
    assert len(watch) > 80
    assert validate_keyword(watch) == watch
    assert 100 < watch_cost(parse_watch(watch), aliases) < MAX_PATTERNS_PER_WATCH


def test_search_sources_are_asked_for_names_not_word_forms(aliases: AliasBook) -> None:
    terms = search_terms(["Lachin"], aliases)
    assert {"Lachin", "Laçın", "Лачин", "لاچین", "Latschin"} <= set(terms)
    assert "лачинский" not in terms
    assert "LaçIn" not in terms


def test_search_polls_read_the_watches_once(
    aliases: AliasBook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every search poll asks for the spellings of every watch: asked again about the same
    watches, nothing is read again; asked about others, they are read."""
    watches = ["Lachin", "Karabakh -football", "tank OR drone"]
    first = search_terms(watches, aliases)

    def unread(raw: str, book: AliasBook) -> Watch:
        raise AssertionError(f"{raw!r} read again")

    monkeypatch.setattr("watchers.matching.expand.read_watch", unread)
    again = search_terms(watches, aliases)
    assert again == first
    assert again is not first  # the caller's own list
    with pytest.raises(AssertionError, match="read again"):
        search_terms([*watches, "Baku"], aliases)


def test_the_marked_phrases_are_worked_out_once_per_book(aliases: AliasBook) -> None:
    """Each matcher build (every /latest builds one) weighs the spellings that may mean something
    else: they are worked out once per book, also for a copy of it (the CPU worker's)."""
    assert marked_phrases(aliases) is marked_phrases(aliases)
    assert marked_phrases(pickle.loads(pickle.dumps(aliases))) is marked_phrases(aliases)
    assert context_phrases(aliases) is context_phrases(aliases)
