"""/sources lines for the operators (the command itself runs end to end in test_jobs)."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.admin import _describe
from watchers.feeds.source import FeedSource
from watchers.models import SourceState

OC_MEDIA = FeedSource("OC Media", "https://oc-media.org/feed/", 300, "en", verified=False)


def test_a_listed_url_nobody_verified_is_marked() -> None:
    line = _describe(OC_MEDIA, None)
    assert "URL not yet verified" in line
    assert "not polled yet" in line
    assert "never" in line


def test_a_healthy_verified_source() -> None:
    state = SourceState(last_success=datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    line = _describe(FeedSource("Wire", "https://wire.test/rss", 300), state)
    assert line == "✅ <b>Wire</b> (feed) — last success 25 Nov 2026 09:30 UTC; ok"
