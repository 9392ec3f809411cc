"""One process per data directory: an exclusive ``flock`` on a lock file inside it.

``stepforge serve`` takes the lock before it opens the database, so a second server on the same
directory stops before it recovers (re-dispatches) anything the first has in flight. The kernel
drops the lock when the holding process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "stepforge.lock"


class DataDirLocked(Exception):
    """Another process holds the data directory."""


class DataDirLock:
    """The held lock of one data directory; :meth:`release` (or the process's end) lets it go."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def lock_data_dir(data_dir: Path) -> DataDirLock:
    """Take the data directory (made, mode 0700, if missing); :class:`DataDirLocked` if another
    process has it, naming that process when it wrote its id."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip()
        os.close(fd)
        by = f" by process {holder}" if holder.isdigit() else ""
        raise DataDirLocked(f"data directory {data_dir} is in use{by}: one stepforge serve per directory") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return DataDirLock(path, fd)
