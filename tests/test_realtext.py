"""The real-text evaluation set is well formed, and its scorer counts right.

The recall the matcher reaches on the set is a benchmark figure (`python -m bench.realtext`),
not something these tests assert.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from bench.realtext import (
    CLASSES,
    FIXTURE,
    MAX_QUOTE,
    Case,
    FixtureError,
    load_cases,
    main,
    score,
)

MAIN_LANGUAGES = ("en", "az", "ru", "uk", "hy", "tr", "de", "fr", "ar", "fa")


@pytest.fixture(scope="module")
def raw_cases() -> list[dict[str, object]]:
    """The fixture as TOML tables, read without the loader under test."""
    with FIXTURE.open("rb") as handle:
        return tomllib.load(handle)["case"]


def test_every_case_has_a_source_language_keyword_and_valid_label(
    raw_cases: list[dict[str, object]],
) -> None:
    for number, case in enumerate(raw_cases, 1):
        where = f"case {number}: {case.get('quote')!r}"
        assert set(case) <= {"lang", "keyword", "match", "class", "note", "quote", "url"}, where
        assert isinstance(case["url"], str), where
        assert case["url"].startswith(("http://", "https://")), where
        assert isinstance(case["lang"], str), where
        assert case["lang"].islower(), where
        assert isinstance(case["keyword"], str), where
        assert case["keyword"].strip(), where
        assert isinstance(case["quote"], str), where
        assert case["quote"].strip(), where
        assert len(case["quote"]) <= MAX_QUOTE, where
        assert isinstance(case["match"], bool), where
        if case["match"]:
            assert "class" not in case, where
        else:
            assert case["class"] in CLASSES, where
            assert isinstance(case.get("note"), str), where
            assert case["note"], where


def test_no_quote_is_labelled_twice_for_one_keyword(raw_cases: list[dict[str, object]]) -> None:
    pairs = Counter((case["quote"], case["keyword"]) for case in raw_cases)
    assert [pair for pair, count in pairs.items() if count > 1] == []


def test_the_set_covers_each_language_and_both_kinds_of_false_hit(
    raw_cases: list[dict[str, object]],
) -> None:
    wanted = Counter(case["lang"] for case in raw_cases if case["match"])
    assert {lang: wanted[lang] for lang in MAIN_LANGUAGES if wanted[lang] < 20} == {}
    kinds = Counter(case["class"] for case in raw_cases if not case["match"])
    assert kinds["string"] >= 40
    assert kinds["context"] >= 40


def test_the_loader_reads_the_whole_fixture(raw_cases: list[dict[str, object]]) -> None:
    cases = load_cases()
    assert len(cases) == len(raw_cases)
    assert all(case.kind is None for case in cases if case.match)


def _write(path: Path, **fields: object) -> Path:
    case = {"lang": "en", "keyword": "Lachin", "match": True, "quote": "x", "url": "https://a.b/"}
    case.update(fields)
    body = "".join(f"{key} = {json.dumps(value)}\n" for key, value in case.items() if value != ...)
    path.write_text("[[case]]\n" + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"url": "ftp://a.b/"}, "http"),
        ({"url": "a.b/page"}, "http"),
        ({"quote": "x" * (MAX_QUOTE + 1)}, "characters"),
        ({"quote": "  "}, "quote"),
        ({"lang": "EN"}, "language code"),
        ({"keyword": ...}, "keyword"),
        ({"match": "yes"}, "match"),
        ({"match": False}, "class"),
        ({"match": False, "class": "maybe"}, "class"),
        ({"class": "string"}, "no class"),
        ({"source": "somewhere"}, "unknown"),
    ],
)
def test_the_loader_names_a_malformed_case(tmp_path: Path, fields: dict, reason: str) -> None:
    with pytest.raises(FixtureError, match=reason):
        load_cases(_write(tmp_path / "bad.toml", **fields))


def _case(lang: str, keyword: str, quote: str, kind: str | None = None) -> Case:
    return Case(quote, "https://example.org/", lang, keyword, kind is None, kind)


# Handwritten for this test; decided by a stand-in that matches the keyword as a substring.
TINY = [
    _case("en", "Lachin", "Traffic resumed on the Lachin road."),
    _case("en", "Lachin", "Traffic resumed on the Berdzor road."),
    _case("ru", "Lachin", "Лачин открыт."),
    _case("ru", "Shusha", "Shusha, Шуша."),
    _case("en", "Tartar", "Add tartar sauce.", "context"),
    _case("en", "Ganja", "Ganja is legal here.", "context"),
    _case("it", "Shusha", "Val di Susa.", "string"),
]


def _substring(keyword: str, text: str) -> bool:
    return keyword.lower() in text.lower()


def test_score_counts_recall_per_language_and_false_hits_per_class() -> None:
    result = score(TINY, _substring)
    assert result.recall == {"en": (1, 2), "ru": (1, 2)}
    assert result.found == (2, 4)
    assert result.false_hits == {"string": (0, 1), "context": (2, 2)}
    assert [case.quote for case in result.misses] == [
        "Traffic resumed on the Berdzor road.",
        "Лачин открыт.",
    ]
    assert [case.quote for case in result.wrong] == ["Add tartar sauce.", "Ganja is legal here."]


def test_score_asks_the_real_matcher_by_default() -> None:
    cases = [_case("en", "Lachin", "The Lachin corridor reopened."), _case("en", "Lachin", "Rain.")]
    result = score(cases)
    assert result.recall == {"en": (1, 2)}
    assert [case.quote for case in result.misses] == ["Rain."]


def test_main_prints_the_report_and_the_same_figures_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "two.toml"
    path.write_text(
        '[[case]]\nlang = "en"\nkeyword = "Lachin"\nmatch = true\n'
        'quote = "The Lachin corridor reopened."\nurl = "https://a.b/1"\n'
        '[[case]]\nlang = "en"\nkeyword = "Lachin"\nmatch = true\n'
        'quote = "Rain all day."\nurl = "https://a.b/2"\n',
        encoding="utf-8",
    )
    main(["--fixture", str(path)])
    text = capsys.readouterr().out
    assert "  en      1/2     50 %" in text
    assert "Misses (1)\n  [en] Lachin: Rain all day." in text

    main(["--json", "--fixture", str(path)])
    report = json.loads(capsys.readouterr().out)
    assert report["recall"] == {"en": {"hits": 1, "total": 2}}
    assert report["recall_all"] == {"hits": 1, "total": 2}
    assert report["false_hits"] == {kind: {"hits": 0, "total": 0} for kind in CLASSES}
    assert [case["quote"] for case in report["misses"]] == ["Rain all day."]


def test_main_runs_on_the_real_fixture(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--json"])
    report = json.loads(capsys.readouterr().out)
    wanted = sum(count["total"] for count in report["recall"].values())
    unwanted = sum(count["total"] for count in report["false_hits"].values())
    assert wanted + unwanted == len(load_cases())
    assert len(report["misses"]) == wanted - report["recall_all"]["hits"]
