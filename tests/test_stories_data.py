"""The labelled reports `bench.stories` scores grouping on are well formed and as broad as the
issue asks: 40 events, 150 reports, 6 languages, half the events in two or more languages, and
hard negatives (events that share a place within a few days)."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from datetime import date, datetime

from bench.stories import DEV, load_labelled


def test_every_report_names_a_known_event_and_is_complete() -> None:
    with DEV.open("rb") as handle:
        data = tomllib.load(handle)
    events = {event["id"] for event in data["event"]}
    assert len(events) == len(data["event"])  # ids are unique
    for row in data["report"]:
        assert row["event"] in events, row["url"]
        assert row["url"].startswith(("http://", "https://"))
        assert row["title"] or row["text"], row["url"]
        assert len(row["text"]) <= 700, row["url"]
        assert isinstance(row["published"], datetime | date | str), row["url"]
    assert len({row["url"] for row in data["report"]}) == len(data["report"])


def test_the_set_is_as_broad_as_the_issue_asks() -> None:
    labelled = load_labelled(DEV)
    languages: defaultdict[str, set[str]] = defaultdict(set)
    near: defaultdict[str, set[str]] = defaultdict(set)
    for item in labelled:
        languages[item.event].add(item.report.language or "")
        if item.near:
            near[item.near].add(item.event)
    assert len(labelled) >= 150
    assert len(languages) >= 40
    assert len({item.report.language for item in labelled}) >= 6
    assert sum(len(found) > 1 for found in languages.values()) >= len(languages) / 2
    assert sum(len(events) > 1 for events in near.values()) >= 4
