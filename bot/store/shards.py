"""The chat shards on disk, `chats/NN.json`: read strictly, written atomically, previous copy kept.

A shard is rewritten whole on every change: the new content goes to a temporary file, which is
fsynced; then the shard on disk is hard-linked to a staging name and renamed over `NN.json.bak`;
then the temporary file is renamed over `NN.json`, and the folder fsynced. Each step is a link or
a rename, so at every instant `NN.json` is whole (the old or the new content) and `NN.json.bak`
holds the copy before it; nothing is ever written in place. What a crash leaves between steps
(`.NN.json.*.tmp`) is removed at the next start.

Reading refuses, in one sentence naming the file, what the writer never leaves: an empty,
truncated, unreadable or non-UTF-8 file, or one that is not TinyDB's shape. A refused shard is
put back from its previous copy by `newswatch restore-shard` (`bot.store.restore`).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shlex
import tempfile
from collections.abc import Callable, Iterable, Sized
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

from bot.store.codec import chat_from_doc
from bot.store.records import Chat

__all__ = [
    "CHATS_DIR",
    "SHARD_NAME",
    "AtomicJSONStorage",
    "StorageError",
    "backup_of",
    "chats_in",
    "chats_phrase",
    "load_shard",
    "load_shards",
    "put_back",
    "read_json",
    "recovery",
    "remove_torn_writes",
    "saved_at",
    "shard_files",
    "shard_name",
    "table",
]

logger = logging.getLogger(__name__)

SHARDS = 256
CHATS_DIR = "chats"
BACKUP_SUFFIX = ".bak"
RESTORE_COMMAND = "newswatch restore-shard"
SHARD_NAME = re.compile(r"[0-9a-f]{2}\.json")
_NO_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK)


class StorageError(Exception):
    """The data directory cannot be used; the message is one sentence naming the file."""


def shard_name(chat_id: int) -> str:
    return f"{chat_id % SHARDS:02x}.json"


def backup_of(shard: Path) -> Path:
    """Where the shard's previous copy is kept."""
    return shard.with_name(shard.name + BACKUP_SUFFIX)


def shard_files(folder: Path) -> list[Path]:
    """The shards in `folder`, with those known only by their previous copy (the shard itself
    deleted, or moved away by hand): reading those refuses the start, so it is not silent."""
    found = chain(folder.glob("*.json"), folder.glob(f"*.json{BACKUP_SUFFIX}"))
    names = {p.name.removesuffix(BACKUP_SUFFIX) for p in found if not p.name.startswith(".")}
    return [folder / name for name in sorted(names)]


def read_json(path: Path, *, empty_ok: bool = False) -> Any:
    """A JSON file's content, None when there is no file (or, with `empty_ok`, when it is
    empty); StorageError naming the file when it cannot be read or is not JSON."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as error:
        raise StorageError(
            f"{path} is not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    except OSError as error:
        raise StorageError(f"{path} cannot be read ({error.strerror or error})") from None
    if not text.strip():
        if empty_ok:
            return None
        raise StorageError(f"{path} is empty")
    try:
        return json.loads(text)
    except ValueError as error:
        raise StorageError(f"{path} is not valid JSON ({error})") from None


def _tables(data: Any, path: Path) -> dict[str, Any]:
    """A file's content as TinyDB's tables by name (none when the file has no content)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise StorageError(f"{path} holds a JSON {type(data).__name__}, not TinyDB tables")
    return data


def table(data: Any, name: str, path: Path) -> dict[str, Any]:
    """One TinyDB table of a file's content, checked for TinyDB's shape."""
    found = _tables(data, path).get(name, {})
    if not isinstance(found, dict) or not all(isinstance(d, dict) for d in found.values()):
        raise StorageError(f"{path} has a {name!r} entry that is not a TinyDB table")
    return found


def recovery(shard: Path, check: Callable[[Path], Sized]) -> str:
    """What the operator can do about a refused shard, by whether `check` (which reads a shard
    as the start does) accepts its previous copy."""
    backup = backup_of(shard)
    if not backup.is_file():
        return f"no previous copy was kept ({backup.name}), so restore it or move it away"
    try:
        kept = check(backup)
    except StorageError as error:
        return f"its previous copy is no good either ({error}), so restore it or move it away"
    return (
        f"run {RESTORE_COMMAND} {shlex.quote(str(shard))} to put back its previous copy "
        f"({chats_phrase(kept)}, saved {saved_at(backup)})"
    )


def chats_phrase(chats: Sized) -> str:
    return f"{len(chats):,} chat{'' if len(chats) == 1 else 's'}"


def saved_at(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _fsync_folder(folder: Path) -> None:
    """Make the renames and links in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stage(source: Path, staged: Path) -> None:
    """`staged` becomes another name of `source` (a hard link, which copies nothing), or a
    fsynced copy where the file system has no hard links."""
    staged.unlink(missing_ok=True)
    try:
        os.link(source, staged)
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        with source.open("rb") as old, staged.open("wb") as new:
            new.write(old.read())
            new.flush()
            os.fsync(new.fileno())


def _replace(path: Path, content: bytes, before_rename: Callable[[], None]) -> None:
    """Put `content` at `path` by temporary file, fsync and rename; `before_rename` runs once
    the new content is safely on disk, just before it takes the name."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        before_rename()
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces the file atomically on every write, keeping the copy it
    replaces as `<file>.bak` (see the module's docstring for the order of the steps)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The file as it is on disk, read each time: a shard is small and is read only to be
        saved (the chats live in memory), so keeping its parse too would hold every chat twice.
        A file that does not read is never overwritten: it may be an operator's only copy."""
        data = read_json(self.path)
        return None if data is None else _tables(data, self.path)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        content = json.dumps(data, ensure_ascii=False).encode("utf-8")
        _replace(self.path, content, self._keep_previous)

    def _keep_previous(self) -> None:
        """Rename a second name of the file on disk over the backup: the shard keeps its name
        throughout, and the backup is the old one or the new one, never absent."""
        staged = self.path.with_name(f".{self.path.name}{BACKUP_SUFFIX}.tmp")
        try:
            _stage(self.path, staged)
        except FileNotFoundError:
            return  # the shard's first write: nothing to keep
        try:
            os.replace(staged, backup_of(self.path))
        except BaseException:
            staged.unlink(missing_ok=True)
            raise

    def close(self) -> None:
        """Nothing stays open between writes."""


def put_back(shard: Path) -> Path | None:
    """Replace `shard` by its previous copy (checked by the caller), keeping the refused file
    beside it; returns where it was kept, if there was one. The backup is copied, not moved, so
    it stays the previous copy; a crash part-way leaves the shard or the backup, as before."""
    aside = None
    if os.path.lexists(shard):
        aside = shard.with_name(f"{shard.name}.bad-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        os.replace(shard, aside)
    _replace(shard, backup_of(shard).read_bytes(), lambda: None)
    return aside


def remove_torn_writes(folder: Path) -> None:
    """A crash between a temporary file and its rename leaves the temporary file (a new shard
    or a staged backup); the shard and its backup are whole, so the leftover is only removed."""
    for leftover in folder.glob(".*.json.*.tmp"):
        leftover.unlink(missing_ok=True)
        logger.info("removed %s, left by an interrupted write", leftover)


def chats_in(path: Path, data: Any) -> list[Chat]:
    """The chats of a TinyDB file, given its content."""
    chats = []
    for doc in table(data, "chats", path).values():
        try:
            chats.append(chat_from_doc(doc))
        except ValueError as error:
            raise StorageError(f"{path} holds a chat of the wrong shape ({error})") from None
    return chats


def load_shard(path: Path) -> list[Chat]:
    """The chats of one shard, refused (StorageError) when it is missing, empty, unreadable or
    not whole: the writer never leaves such a file, so something else broke it."""
    if not os.path.lexists(path):
        raise StorageError(f"{path} is missing")
    return chats_in(path, read_json(path))


def load_shards(paths: Iterable[Path]) -> list[Chat]:
    """Every shard's chats; a refusal names the first bad shard and how to recover it."""
    chats = []
    for path in paths:
        try:
            chats += load_shard(path)
        except StorageError as error:
            raise StorageError(f"{error}; {recovery(path, load_shard)}") from None
    return chats
