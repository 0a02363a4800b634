"""The bot's store: chats in TinyDB shards; reports, their matches, source state and the alert
outbox in SQLite.

`Store.open(data_dir)` gives the one `Store`; callers use its parts and get and give plain records
(`Chat`, `WatchEntry`, `StoredReport`, `Outcome`, and `watchers.models`' records), never
documents or rows:

- `store.chats` (`Chats`): every chat in memory, written through to its shard;
- `store.reports` (`Reports`), `store.sources` (`Sources`), `store.outbox` (`Outbox`),
  `store.matches` (`Matches`, the match index /latest reads): one SQLite table group each;
- `store.polls` (`Polls`): what one poll reads and writes, its outcome (reports, their matches,
  source state, alerts) as one transaction, and a new matcher's catch-up;
- `Store` itself: the changes that span chats and the outbox (unreachable, back, moved).

Modules, from the bottom: `records` (the records), `codec` (values as stored), `shards` (the chat
files, read strictly, written atomically), `schema` (every table), `database` (the SQLite file
and its threads), `chats`, `outbox`, `matches`, `reports`, `sources`, `polls` (the parts),
`checks` (start-up checks and the lock), `legacy` (the import of the previous single-file
store), `store` (opening it all), `restore` (`newswatch restore-shard`).
"""

from bot.store.chats import Chats
from bot.store.matches import Matches
from bot.store.outbox import Outbox
from bot.store.polls import Polls
from bot.store.records import Chat, OutboxStatus, Outcome, StoredReport, WatchEntry
from bot.store.reports import Reports
from bot.store.restore import restore_shard
from bot.store.shards import StorageError
from bot.store.sources import Sources
from bot.store.store import Store, load_chats

__all__ = [
    "Chat",
    "Chats",
    "Matches",
    "Outbox",
    "OutboxStatus",
    "Outcome",
    "Polls",
    "Reports",
    "Sources",
    "StorageError",
    "Store",
    "StoredReport",
    "WatchEntry",
    "load_chats",
    "restore_shard",
]
