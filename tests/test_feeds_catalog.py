"""Tests for the curated feed list (sources.toml) and its loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchers.feeds.catalog import load_sources


def test_default_sources_load_and_are_http() -> None:
    sources = load_sources()
    assert len(sources) >= 10
    assert all(source.url.startswith(("http://", "https://")) for source in sources)
    assert len({source.name for source in sources}) == len(sources)
    assert len({source.url for source in sources}) == len(sources)
    names = " ".join(source.name for source in sources)
    for outlet in ("Azatutyun", "Azadliq", "OC Media", "JAMnews", "Civil.ge"):
        assert outlet in names


def test_load_sources_from_path(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[feed]]\nname = "One"\nurl = "https://one.example/rss"\nverified = true\n'
        '[[feed]]\nname = "Two"\nurl = "http://two.example/feed"\nlanguage = "hy"\n',
        encoding="utf-8",
    )
    one, two = load_sources(path)
    assert (one.name, one.url, one.language, one.verified) == (
        "One",
        "https://one.example/rss",
        None,
        True,
    )
    assert (two.language, two.verified) == ("hy", False)


def test_load_sources_rejects_entries_without_url(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('[[feed]]\nname = "No URL"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="url"):
        load_sources(path)
