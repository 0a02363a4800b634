"""Tests for `parse_feed` on recorded real feeds (see /work/shared/fixtures/real/SOURCES.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchers.feeds import parse_feed

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"

# name -> expected reports
REAL_FEEDS = {
    "rss_bbc_world.xml": 33,
    "rss_aljazeera_all.xml": 25,
    "rdf_rss10_dw_all.xml": 141,
    "atom_talkingpointsmemo.xml": 20,
    "rss_boston_world_news_armenia_item.xml": 10,
    "rss_feedburner_guid_dupes.xml": 1,
    "reliefweb_updates_rss_ukr.xml": 20,
    "emm_newsbrief_rss_sample.xml": 5,
}


def real_feed(name: str) -> bytes:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"shared fixture {path} is absent")
    return path.read_bytes()


@pytest.mark.parametrize(("name", "count"), sorted(REAL_FEEDS.items()))
def test_real_feed(name: str, count: int) -> None:
    result = parse_feed(real_feed(name), source="real", feed_url="https://feeds.example/x")
    assert result.ok, result.error
    assert len(result.reports) == count
    assert len({report.id for report in result.reports}) == count
    for report in result.reports:
        assert report.url.startswith(("http://", "https://"))
        assert report.title
        assert report.published is None or report.published.tzinfo is UTC


def test_real_bbc_identity_language_and_ttl() -> None:
    result = parse_feed(real_feed("rss_bbc_world.xml"), source="bbc", feed_url="https://x/")
    assert result.ttl_minutes == 15
    assert len(result.reports) == REAL_FEEDS["rss_bbc_world.xml"]
    assert all(report.language == "en" for report in result.reports)
    assert all("at_medium" not in report.id and "#" not in report.id for report in result.reports)
    assert all("at_medium" in report.url for report in result.reports)


def test_real_aljazeera_ids_ignore_per_fetch_guids() -> None:
    result = parse_feed(real_feed("rss_aljazeera_all.xml"), source="aj", feed_url="https://x/")
    assert len(result.reports) == REAL_FEEDS["rss_aljazeera_all.xml"]
    assert all("?t=" not in report.id for report in result.reports)
    assert all("traffic_source" not in report.id for report in result.reports)


def test_real_emm_source_country() -> None:
    result = parse_feed(real_feed("emm_newsbrief_rss_sample.xml"), source="emm", feed_url="x")
    assert result.reports[0].country == "DK"
    assert result.reports[0].outlet == "finanz"


def test_real_malformed_feed_is_recovered() -> None:
    body = real_feed("malformed_rss_dylanharris_artsandego.xml")
    result = parse_feed(body, source="dh", feed_url="https://dylanharris.org/feed-me.rss")
    assert (result.ok, result.error) == (True, None)
    # 35 items, two of which share one link: 34 distinct reports.
    assert len(result.reports) == 34
    assert result.reports[0].title == "jenni tucker"
    assert result.reports[0].published == datetime(2026, 1, 19, tzinfo=UTC)


def test_real_truncated_cdata_fails_cleanly() -> None:
    result = parse_feed(
        real_feed("illformed_rss_incomplete_cdata.xml"), source="t", feed_url="http://x/"
    )
    assert (result.ok, result.reports) == (False, [])
    assert result.error == (
        "malformed feed: <unknown>:6:0: XML or text declaration not at start of entity"
    )
