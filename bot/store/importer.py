"""`python -m bot.store.importer DATA_DIR MAIN`: the child process that imports the previous
single-file store at MAIN into the store in DATA_DIR, for a bot starting on it (see
`bot.store.legacy` for why in a child), then exits, giving its memory back.

The bot holds the data directory's lock and waits for this process, so it takes no lock of its
own. It prints one line of JSON: what it imported, or `{"error": sentence}`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from bot.store.chats import Chats
from bot.store.database import Database
from bot.store.legacy import import_legacy
from bot.store.shards import CHATS_DIR, StorageError, load_shards, shard_files
from bot.store.store import DB_NAME

__all__ = ["main"]


def main(argv: list[str]) -> int:
    data_dir, old = Path(argv[0]), Path(argv[1])
    shards = data_dir / CHATS_DIR
    db = Database(data_dir / DB_NAME)
    chats = Chats(shards, load_shards(shard_files(shards)))
    try:
        said = asdict(import_legacy(db, chats, old))
    except StorageError as error:
        said = {"error": str(error)}
    finally:
        chats.close()
        db.shutdown()
    print(json.dumps(said), flush=True)
    return 1 if "error" in said else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
