"""One process per data directory: an exclusive ``flock`` on a lock file inside it.

``stepforge serve`` takes the lock before it opens the database, so a second server on the same
directory stops before it recovers (re-dispatches) anything the first has in flight. The kernel
drops the lock when the holding process ends, however it ends.

The holder also keeps the id of its node (its lease in the store) in the directory: whoever takes
the lock next knows that node's process has ended, since the kernel let the lock go, so it can end
that node's lease at once and adopt its work without waiting for the lease to expire (what matters
on PostgreSQL, where other nodes share the store: see :class:`~stepforge.engine.lease.Lease`).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "stepforge.lock"
#: The id of the last node that ran on the directory.
NODE_NAME = "node"


class DataDirLocked(Exception):
    """Another process holds the data directory."""


class DataDirLock:
    """The held lock of one data directory; :meth:`release` (or the process's end) lets it go."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def previous_node(self) -> str | None:
        """The id of the node that held the directory last (its process has ended), if one did."""
        try:
            return (self.path.parent / NODE_NAME).read_text().strip() or None
        except FileNotFoundError:
            return None

    def record_node(self, node_id: str) -> None:
        """Remember ``node_id`` as the directory's node (written whole: a crash leaves the old id or the new)."""
        path = self.path.parent / NODE_NAME
        staged = path.with_name(f".{NODE_NAME}.{os.getpid()}")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, f"{node_id}\n".encode())
        finally:
            os.close(fd)
        os.replace(staged, path)

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
