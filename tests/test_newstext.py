"""The real text the load benchmarks store and serve: well formed, distinct, real-length."""

from __future__ import annotations

import tomllib

from bench.loadgen import popular_terms
from bench.newstext import CORPUS, LANGUAGES, LENGTH, NewsText
from watchers.matching import Matcher, load_aliases


def test_the_corpus_is_small_and_says_where_each_text_comes_from() -> None:
    assert CORPUS.stat().st_size < 2_000_000
    head = CORPUS.read_text(encoding="utf-8").split("[[text]]", 1)[0]
    assert "shared/fixtures/real" in head
    assert "pages corpus" in head
    with CORPUS.open("rb") as handle:
        tables = tomllib.load(handle)["text"]
    for table in tables:
        assert set(table) == {"lang", "url", "from", "title", "sentences"}
        assert table["url"].startswith(("http://", "https://"))
        assert table["from"]
        assert table["title"]
        assert table["sentences"]
    assert len({table["lang"] for table in tables}) >= 8


def test_reports_are_distinct_about_1000_characters_in_many_languages() -> None:
    made = NewsText(seed=5)
    stories = [made.story() for _ in range(3000)]
    assert len({s.text for s in stories}) == len(stories)
    lengths = sorted(len(s.text) for s in stories)
    median = lengths[len(lengths) // 2]
    assert LENGTH[0] <= median <= LENGTH[1] + 200
    assert len({s.language for s in stories}) >= 10
    assert {s.language for s in stories} <= set(LANGUAGES)
    assert all(s.title for s in stories)


def test_the_same_seed_gives_the_same_reports() -> None:
    first, second = NewsText(seed=9), NewsText(seed=9)
    assert [first.story() for _ in range(50)] == [second.story() for _ in range(50)]


def test_some_reports_name_a_watched_place_and_quiet_ones_name_no_popular_term() -> None:
    terms = popular_terms()
    matcher = Matcher.build([(0, term) for term in terms], load_aliases())
    natural = NewsText(seed=2)
    named = sum(bool(matcher.match(s.title, s.text)) for s in (natural.story() for _ in range(400)))
    assert named > 100
    quiet = NewsText(seed=2, quiet=terms)
    stories = [quiet.story() for _ in range(400)]
    assert sum(bool(matcher.match(s.title, s.text)) for s in stories) <= 8  # across sentences
    assert all(LENGTH[0] // 3 <= len(s.text) for s in stories)


def test_a_term_is_named_in_the_headline() -> None:
    story = NewsText(seed=1, quiet=popular_terms()).story("chat7topic0")
    assert story.title.startswith("chat7topic0: ")


def test_an_outlet_never_gets_one_headline_twice() -> None:
    made = NewsText(seed=3)
    stories = [(n % 5, made.story(outlet=f"outlet{n % 5}.test")) for n in range(3000)]
    assert len({(outlet, story.title) for outlet, story in stories}) == len(stories)
    assert len({story.title for _, story in stories}) < len(stories)  # across outlets they repeat
