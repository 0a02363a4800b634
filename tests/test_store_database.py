"""The database (`bot.store.database`): transactions that hold across kill -9 at random moments,
with the chats' shards beside them."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from pathlib import Path

from bot.store import Store, load_chats
from bot.store.database import IN_SIZES, chunks, column
from tests.conftest import kill_9_while_writing


def test_kill_9_at_random_moments_leaves_a_store_that_loads_whole(tmp_path: Path) -> None:
    """A writer of chats and poll outcomes killed at random: both stores load, no shard is torn,
    every outbox entry has its report, and each poll is all there or not at all."""
    from tests.crash_writer import REPORTS_PER_POLL

    chance = random.Random(20261125)
    folder = tmp_path / "data"
    for trial in range(4):
        kill_9_while_writing(
            "tests.crash_writer", str(folder), f"t{trial}", cwd=tmp_path,
            seconds=chance.uniform(0.05, 0.6),
        )  # fmt: skip

        chats = load_chats(folder)  # every shard parses: none torn
        assert chats
        assert all(c.title.startswith("t") for c in chats)
        with sqlite3.connect(folder / "newswatch.sqlite3") as db:
            orphans = db.execute(
                "SELECT count(*) FROM outbox WHERE report_id NOT IN (SELECT id FROM reports)"
            ).fetchone()
            [(state,)] = db.execute("SELECT state FROM source_state WHERE name = 'crash'")
            last = int(json.loads(state)["etag"].split("-")[1])
            run = f"https://crash.test/t{trial}-"
            stored = {
                row[0] for row in db.execute("SELECT id FROM reports WHERE id LIKE ?", (f"{run}%",))
            }
        db.close()
        assert orphans == (0,)
        expected = {f"{run}{p}-{n}" for p in range(last + 1) for n in range(REPORTS_PER_POLL)}
        assert stored == expected  # the last recorded poll is whole, the next one absent
        store = Store.open(folder)  # and the store itself opens
        asyncio.run(store.close())


def test_in_lists_come_in_a_few_lengths_and_still_find_each_row_once() -> None:
    """An IN list of each length was a statement of its own for sqlite3 to prepare and keep."""
    lengths = {len(chunk) for count in range(1, 1201) for chunk in chunks(list(range(count)))}
    assert lengths <= set(IN_SIZES)
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (x INTEGER)")
    connection.executemany("INSERT INTO t VALUES (?)", [(x,) for x in range(1200)])
    for count in (1, 3, 17, 499, 501, 1200):
        found = column(connection, "SELECT x FROM t WHERE x IN ({ids})", list(range(count)))
        assert sorted(found) == list(range(count))
