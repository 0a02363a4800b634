"""`newswatch restore-shard data/chats/NN.json`: put back a refused shard's previous copy.

Every shard write keeps the copy it replaces as `NN.json.bak` (`bot.store.shards`). When start-up
refuses a shard (empty, truncated, unreadable), this puts that copy back, and only when it is
sound: the copy is read exactly as the start reads a shard, a shard that still reads is left
alone, and the bot must not be running (it would write its own chats over the copy). The
refused file is kept beside it, so nothing is deleted.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.store.checks import lock_data_dir
from bot.store.records import Chat
from bot.store.shards import (
    CHATS_DIR,
    SHARD_NAME,
    StorageError,
    backup_of,
    chats_phrase,
    load_shard,
    put_back,
    saved_at,
)

__all__ = ["restore_shard"]


def restore_shard(shard: Path) -> str:
    """Put back `shard`'s previous copy and say what was done, in one sentence; StorageError
    (one sentence saying nothing was changed) when it was not done."""
    folder = shard.absolute().parent
    if not SHARD_NAME.fullmatch(shard.name) or folder.name != CHATS_DIR or not folder.is_dir():
        raise StorageError(f"{shard} is not a chat shard (data/chats/NN.json); nothing was changed")
    try:
        lock = lock_data_dir(folder.parent)
    except StorageError:
        raise StorageError(
            f"a running Newswatch holds {shard}, so nothing was changed; stop it first"
        ) from None
    try:
        backup, chats = _previous_copy(shard)
        _refuse_sound(shard)
        aside = put_back(shard)
    finally:
        os.close(lock)
    kept = f"; the refused file is kept as {aside}" if aside else ""
    return (
        f"put back {shard} from {backup.name}, as saved at {saved_at(backup)} with "
        f"{chats_phrase(chats)} (a change made after that is not in it){kept}"
    )


def _previous_copy(shard: Path) -> tuple[Path, list[Chat]]:
    """The shard's previous copy and its chats, read as the start reads a shard."""
    backup = backup_of(shard)
    if not backup.is_file():
        raise StorageError(f"no previous copy of {shard} was kept ({backup}); nothing was changed")
    try:
        return backup, load_shard(backup)
    except StorageError as error:
        raise StorageError(f"{error}, so it cannot replace {shard}; nothing was changed") from None


def _refuse_sound(shard: Path) -> None:
    """A shard that reads is not replaced by an older copy unless the operator moves it away."""
    if not os.path.lexists(shard):
        return
    try:
        chats = load_shard(shard)
    except StorageError:
        return
    raise StorageError(
        f"{shard} reads fine ({chats_phrase(chats)}), so it was left as it is; move it away first "
        "to put back its previous copy anyway"
    )
