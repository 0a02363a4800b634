"""Tests for the GDELT DOC 2.0 query builder and answer parser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.config import DEFAULT_GDELT_URL
from watchers.feeds import parse_gdelt, tidy_title
from watchers.gdelt import GDELT_MIN_INTERVAL_SECONDS, build_gdelt_url, build_query

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"
REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def real(name: str) -> bytes:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"shared fixture {path} is absent")
    return path.read_bytes()


def test_min_interval() -> None:
    assert GDELT_MIN_INTERVAL_SECONDS == 5


def test_build_gdelt_url() -> None:
    url = build_gdelt_url(
        ["Lachin", "Nagorno Karabakh", "LACHIN"], DEFAULT_GDELT_URL, timespan_minutes=60
    )
    assert url.startswith(DEFAULT_GDELT_URL + "?")
    params = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    assert params == {
        "query": '(LACHIN OR "Nagorno Karabakh")',
        "mode": "artlist",
        "format": "json",
        "sort": "datedesc",
        "timespan": "60min",
        "maxrecords": "250",
    }


def test_single_term_has_no_parentheses() -> None:
    assert build_query(["Karabakh"]) == "Karabakh"
    assert build_query(["Nagorno Karabakh"]) == '"Nagorno Karabakh"'


def test_query_is_deterministic_and_deduplicated() -> None:
    query = build_query(["Xankəndi", "Lachin", "Xankendi", "LACHIN"])
    assert query == build_query(["LACHIN", "Xankendi", "Lachin", "Xankəndi"])
    assert query == "(LACHIN OR Xankendi)"


def test_max_records_and_timespan_are_clamped() -> None:
    url = build_gdelt_url(
        ["Lachin"], "http://127.0.0.1:1/doc", timespan_minutes=1, max_records=9999
    )
    params = parse_qs(urlsplit(url).query)
    assert url.startswith("http://127.0.0.1:1/doc?")
    assert params["maxrecords"] == ["250"]
    assert params["timespan"] == ["15min"]


def test_no_terms_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one term"):
        build_query(["", '""'])


def test_parse_articles() -> None:
    result = parse_gdelt(fixture("gdelt_artlist.json"), source="gdelt")
    assert not result.throttled
    assert result.error is None
    assert len(result.reports) == 3
    convoy, koc, lachin = result.reports
    assert convoy.id == "https://caucasuswire.example/news/lachin-aid-convoy"
    assert convoy.url.endswith("?utm_source=gdelt")
    assert convoy.title == "Lachin aid convoy crosses, officials say; more expected"
    assert convoy.published == datetime(2026, 2, 17, 14, 30, tzinfo=UTC)
    assert (convoy.domain, convoy.outlet, convoy.language, convoy.country) == (
        "caucasuswire.example",
        "caucasuswire.example",
        "en",
        "Armenia",
    )
    assert (koc.title, koc.language, koc.country) == ("Qarabağa köç davam edir", "az", "Azerbaijan")
    assert (lachin.title, lachin.language) == ("Լաչինի միջանցք", "hy")
    assert all(report.source == "gdelt" for report in result.reports)


def test_empty_object_means_no_articles() -> None:
    result = parse_gdelt(fixture("gdelt_empty.json"), source="gdelt")
    assert (result.reports, result.throttled, result.error) == ([], False, None)


def test_throttle_body_is_detected_even_with_http_200() -> None:
    result = parse_gdelt(fixture("gdelt_throttle.txt"), source="gdelt")
    assert result.throttled
    assert result.reports == []
    assert result.error == "throttled by GDELT"


def test_keyword_error() -> None:
    result = parse_gdelt(fixture("gdelt_keyword_error.txt"), source="gdelt")
    assert not result.throttled
    assert result.error == (
        "One or more of your keywords were too short, too long or too common: (ab)"
    )


def test_other_plain_text_error_keeps_first_line() -> None:
    result = parse_gdelt(fixture("gdelt_other_error.txt"), source="gdelt")
    assert result.error == "Timespan is too short."


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            b"{not json",
            "invalid JSON from GDELT: Expecting property name enclosed in double quotes",
        ),
        (b"[1, 2]", "unexpected JSON from GDELT: not an object"),
        (b'{"articles": "nope"}', "unexpected JSON from GDELT: articles is not a list"),
        (b'{"articles": [1, null, {"url": 3}]}', None),
    ],
)
def test_malformed_json_never_raises(body: bytes, error: str | None) -> None:
    result = parse_gdelt(body, source="gdelt")
    assert (result.reports, result.throttled, result.error) == ([], False, error)


def test_stray_backslash_in_title_is_repaired() -> None:
    body = b'{"articles": [{"url": "https://x.example/a", "title": "A \\ B", "seendate": "bad"}]}'
    (report,) = parse_gdelt(body, source="gdelt").reports
    assert report.title == "A \\ B"
    assert report.published is None


def test_tidy_title() -> None:
    assert tidy_title("  a , b ; c  d ") == "a, b; c d"


def test_real_artlist_sample() -> None:
    result = parse_gdelt(real("gdelt_artlist_sample.json"), source="gdelt")
    assert (result.throttled, result.error, len(result.reports)) == (False, None, 4)
    assert all(" , " not in report.title and " ; " not in report.title for report in result.reports)
    assert result.reports[0].language == "en"
    assert result.reports[1].language == "ml"
    assert result.reports[0].country == "India"
    assert result.reports[0].published == datetime(2024, 6, 15, 17, 0, tzinfo=UTC)


def test_real_rate_limited_body() -> None:
    assert parse_gdelt(real("gdelt_error_rate_limited.txt"), source="gdelt").throttled


def test_real_keyword_error_body() -> None:
    result = parse_gdelt(real("gdelt_error_keyword.txt"), source="gdelt")
    assert not result.throttled
    assert result.error
    assert result.error.startswith("One or more of your keywords")


def test_an_article_with_an_unreadable_url_is_skipped_and_the_rest_kept() -> None:
    """GDELT relays links from all over the web; one urlsplit cannot read raised out of the poll."""
    body = (
        b'{"articles": [{"url": "https://[::1/x", "title": "Broken"},'
        b' {"url": "https://news.test/a", "title": "Convoy reaches Lachin"}]}'
    )
    result = parse_gdelt(body, source="gdelt")
    assert [r.title for r in result.reports] == ["Convoy reaches Lachin"]
    assert result.error is None


def test_json_nested_too_deep_is_an_error_not_a_crash() -> None:
    result = parse_gdelt(b"[" * 100_000 + b"]" * 100_000, source="gdelt")
    assert result.reports == []
    assert result.error is not None
