"""The `source_state` table: what the poller remembers about each source, one JSON document per
source name (`watchers.models.SourceState`)."""

from __future__ import annotations

import json
import sqlite3

from bot.store.database import Database
from watchers.models import SourceState

__all__ = ["SourceSQL", "Sources", "import_state", "save_state", "state_of"]


class SourceSQL:
    """Every statement on `source_state`."""

    save = (
        "INSERT INTO source_state (name, state) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET state = excluded.state"
    )
    add = "INSERT INTO source_state (name, state) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
    one = "SELECT state FROM source_state WHERE name = ?"
    every = "SELECT name, state FROM source_state"


def save_state(connection: sqlite3.Connection, name: str, state: SourceState) -> None:
    connection.execute(SourceSQL.save, (name, json.dumps(state.to_dict())))


def import_state(connection: sqlite3.Connection, name: str, state: SourceState) -> None:
    """Save a state from the previous store unless the source has one already."""
    connection.execute(SourceSQL.add, (name, json.dumps(state.to_dict())))


def state_of(connection: sqlite3.Connection, name: str) -> SourceState | None:
    row = connection.execute(SourceSQL.one, (name,)).fetchone()
    return SourceState.from_dict(json.loads(row[0])) if row else None


class Sources:
    """Every source's state, for the jobs and /sources (`Polls` reads and writes one source's)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> dict[str, SourceState]:
        """What the poller remembers about each source, by source name."""

        def every(connection: sqlite3.Connection) -> dict[str, SourceState]:
            rows = connection.execute(SourceSQL.every).fetchall()
            return {name: SourceState.from_dict(json.loads(state)) for name, state in rows}

        return await self._db.read(every)

    async def save(self, name: str, state: SourceState) -> None:
        await self._db.write(lambda connection: save_state(connection, name, state))
