"""The Source protocol: what every kind of source implements, known without knowing the kinds."""

from __future__ import annotations

from tests.conftest import modules_imported_by

IMPLEMENTATIONS = {"watchers.feeds", "watchers.gdelt", "watchers.google_news"}


def test_the_protocol_imports_no_implementation() -> None:
    assert not IMPLEMENTATIONS & modules_imported_by("watchers.sources")


def test_the_registry_knows_every_implementation() -> None:
    assert IMPLEMENTATIONS <= modules_imported_by("watchers.registry")
