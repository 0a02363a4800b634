"""Start-up checks and the lock: refuse, in one sentence, a data directory the store cannot
trust, before anything is written to it, and keep a second bot out of it while it is open.

Refused: files without read or write permission by their mode bits (which hold for root too), a
database file that is not SQLite, a folder where a real write fails. Each refusal is a
`StorageError` naming the file.
"""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from pathlib import Path

from bot.store.schema import SQLITE_HEADER
from bot.store.shards import StorageError

__all__ = ["check_sqlite", "lock_data_dir", "probe", "refuse_by_mode", "sqlite_sidecars"]

LOCK_NAME = ".lock"
_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
_READ_BITS = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


def sqlite_sidecars(db: Path) -> tuple[Path, Path]:
    """The WAL and shared-memory files SQLite keeps beside the database."""
    return db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")


def refuse_by_mode(path: Path) -> None:
    """A file or folder without write permission would fail at the first write, or (replaced by
    rename) lose its mode, and a file without read permission would not load: refuse them now.
    Mode bits count, since root passes every access()."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise StorageError(f"{path} cannot be read ({error.strerror})") from None
    if stat.S_ISREG(mode) and (not mode & _READ_BITS or not os.access(path, os.R_OK)):
        raise StorageError(f"{path} is not readable; make it readable or move it away")
    if not mode & _WRITE_BITS or not os.access(path, os.W_OK):
        raise StorageError(f"{path} is read-only; make it writable or move it away")


def check_sqlite(db: Path) -> None:
    """A database file must start with SQLite's header: checked by reading, never by opening,
    which could write to it."""
    try:
        with db.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as error:
        raise StorageError(f"{db} cannot be read ({error.strerror})") from None
    if header and header != SQLITE_HEADER:
        raise StorageError(f"{db} is not an SQLite database; restore it or move it away")


def probe(folder: Path) -> None:
    """Create, write, fsync and delete a file in `folder`: the only proof writing works there
    (permissions, read-only mounts, /proc) whoever runs the bot."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".probe.", dir=folder)
        try:
            os.write(fd, b"newswatch")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as error:
        raise StorageError(f"cannot write in {folder} ({error.strerror or error})") from None


def lock_data_dir(folder: Path) -> int:
    """Hold an exclusive lock on `folder/.lock` while the store is open: two bots on one data
    dir would each keep their own copy of the chats in memory and overwrite each other's shards.
    The kernel releases it when the process ends, however it ends."""
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StorageError("another Newswatch process is using it") from None
    return fd
