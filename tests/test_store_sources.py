"""Source state (`bot.store.sources`): what the poller remembers about each source, saved and
read back."""

from __future__ import annotations

from bot.store import (
    Store,
)
from tests.store_support import NOW
from watchers.models import SourceState


async def test_source_state_round_trip(store: Store) -> None:
    await store.sources.save("bbc", SourceState(etag='"abc"'))
    later = SourceState(etag='"def"', errors=2, first_failure=NOW, last_error="bbc.co.uk: HTTP 500")
    await store.sources.save("bbc", later)
    assert await store.sources.all() == {"bbc": later}
    assert await store.polls.source_state("bbc") == later
    assert await store.polls.source_state("other") is None
