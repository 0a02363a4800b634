"""Where the repository is, and the settings that keep a run of the bot off the internet: what a
test or a benchmark needs to start the bot as a user would, with only loopback servers around."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository's root (the directory that holds bot/, fakes/ and tests/)."""

OFFLINE = {
    "NEWSWATCH_DEFAULT_SOURCES": "off",
    "NEWSWATCH_GOOGLE_NEWS_URL": "off",
    "NEWSWATCH_GDELT_URL": "off",
}
"""Settings that switch off every source on the internet, for a bot started as a subprocess."""
