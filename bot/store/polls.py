"""What one poll reads and writes (the `watchers.poll.PollStore` it is given): a source's state,
which of its reports are new, the poll's outcome, stored as one transaction, and the catch-up of
a new matcher over reports stored before.

The outcome spans four tables: the reports the source still shows are refreshed and the new ones
inserted, what the matcher found in them goes into the match index, the source's state is saved,
and the alerts of the reports inserted now are queued in the outbox. A report another poll stored
first (same id or headline) is neither inserted nor alerted again, so two polls that meet the same
report at once alert it once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.store import matches
from bot.store.codec import iso
from bot.store.database import Database
from bot.store.outbox import queue
from bot.store.reports import Cursor, grouped, insert, refresh, unseen
from bot.store.sources import save_state, state_of
from watchers.models import Alert, Matched, PollOutcome, Report, SourceState
from watchers.stories import REOPENED

__all__ = ["Polls"]


class Polls:
    """The store as the poller sees it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def source_state(self, name: str) -> SourceState | None:
        return await self._db.read(lambda connection: state_of(connection, name))

    async def unseen(self, reports: Sequence[Report]) -> list[Report]:
        """The reports not stored yet, by id or by headline (same outlet, same headline)."""
        return await self._db.read(lambda connection: unseen(connection, reports))

    async def record_poll(self, outcome: PollOutcome) -> list[Alert]:
        """One poll's outcome in one transaction; returns the alerts queued in the outbox (only
        those of reports stored now: another poll may have stored the same report first)."""

        def run(connection: sqlite3.Connection) -> list[Alert]:
            refresh(connection, outcome.seen, outcome.at)
            stored_now = {r.id for r in insert(connection, outcome.new, outcome.at)}
            if outcome.matched is not None:
                matches.record(connection, outcome.matched)
            save_state(connection, outcome.source, outcome.state)
            alerts, overflow = outcome.alerts, outcome.overflow
            return queue(connection, outcome.source, alerts, overflow, stored_now, iso(outcome.at))

        return await self._db.write(run)

    async def grouped(
        self, since: datetime, cursor: Cursor | None, count: int
    ) -> tuple[list[tuple[Report, datetime]], Cursor | None]:
        """A page of the reports of the stories open since `since`, oldest first, as
        (report, first seen), for a new story book (`watchers.matchlane.Reopen`)."""

        def run(
            connection: sqlite3.Connection,
        ) -> tuple[list[tuple[Report, datetime]], Cursor | None]:
            page, after = grouped(connection, since, REOPENED, cursor, count)
            return [(item.report, item.first_seen) for item in page], after

        return await self._db.read(run)

    async def unmatched(self, window: int, count: int) -> list[Report]:
        """Among the `window` newest reports, `count` of those the match index does not cover
        for every watch held now: what a new matcher matches again (`matches.unmatched`)."""
        return await self._db.read(lambda connection: matches.unmatched(connection, window, count))

    async def watch_ids(self, watches: Sequence[str]) -> list[int]:
        """The store's id of each of these distinct raw watches, for the matcher to number
        them with (`matches.watch_ids`)."""
        return await self._db.write(lambda connection: matches.watch_ids(connection, watches))

    async def record_matches(self, matched: Matched) -> None:
        """Store what a matcher found in reports stored before (`matches.record`)."""
        await self._db.write(lambda connection: matches.record(connection, matched))
