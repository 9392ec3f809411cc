"""WAL checkpoints on a thread of their own, off the writer's commit path.

By default SQLite checkpoints inside the ``COMMIT`` that takes the WAL past 1,000 pages: that commit
copies every page into the database file and fsyncs it, so one batch in a few hundred waits tens of
milliseconds more than the others (the engine's p99 under load). With a :class:`Checkpointer` the
writer never checkpoints (``wal_autocheckpoint=0``); the checkpointer's own connection runs
``PRAGMA wal_checkpoint(PASSIVE)`` a moment after commits, which never blocks the writer nor readers.

A PASSIVE checkpoint copies what no reader still needs; the writer reuses the WAL from its start
only when a transaction of its begins with all of it copied, which commits every few milliseconds
may never let happen (measured: a hello load grew the WAL to 30 MB). So once a checkpoint finds the
WAL past :data:`WAL_LIMIT_FRAMES`, the writer itself, right after its next commit and on its own
connection, runs one more PASSIVE checkpoint (:meth:`Checkpointer.committed`): it copies the little
the last one left, no commit comes between it and the writer's next transaction, and that one starts
the WAL again from its beginning. Nobody waits for anybody: the RESTART checkpoint this replaces
made the writer wait while it waited (up to 100 ms) for readers, a p99 of 100 ms under load.

A checkpoint grows the database file by up to the WAL's size, and one that fails for a full disk
keeps what it grew. So after such a failure the checkpointer is *starved*: it tries again only once
the disk has room for the whole WAL. Otherwise the space an operator frees would go to a checkpoint
that cannot finish, and the writer, which needs only a batch's worth, would stay refused.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

#: How long after a commit the checkpointer looks (commits in the meantime share one checkpoint).
INTERVAL_SECONDS = 0.2
#: A WAL of more frames (pages) than this is started again (4 times SQLite's autocheckpoint size).
WAL_LIMIT_FRAMES = 4000
#: How long the checkpointer's connection waits for a lock (a checkpoint running on the writer's).
BUSY_WAIT_MS = 100
#: SQLite's primary result code of a full disk.
SQLITE_FULL = 13


def disk_full(exc: sqlite3.Error) -> bool:
    """Did SQLite fail for want of disk space?"""
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == SQLITE_FULL or "database or disk is full" in str(exc)


class Checkpointer:
    """Copies the WAL of the database at ``path`` into it on a daemon thread, after commits.

    ``connect`` opens a connection to the database (with its ``synchronous`` setting: a checkpoint
    fsyncs the database file under FULL). :meth:`committed` is what the writer calls after each
    commit (cheap: it sets an event, and now and then checkpoints what little is left on the
    writer's connection); :meth:`stop` ends the thread after a last checkpoint.
    """

    def __init__(self, path: Path, connect: Callable[[], sqlite3.Connection], *,
                 interval: float = INTERVAL_SECONDS, wal_limit: int = WAL_LIMIT_FRAMES) -> None:
        self.wal_path = path.with_name(path.name + "-wal")
        self._connect, self.interval, self.wal_limit = connect, interval, wal_limit
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._conn: sqlite3.Connection | None = None
        #: The last checkpoint found the WAL past :attr:`wal_limit`: the writer finishes the work.
        self.overgrown = False
        #: The last checkpoint failed for a full disk: the next waits for room for the whole WAL (see the module).
        self.starved = False
        self._thread = threading.Thread(target=self._loop, name="stepforge-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def committed(self, writer: sqlite3.Connection) -> None:
        """The writer committed on ``writer``, and holds it still: checkpoint within :attr:`interval`;
        if the WAL is overgrown, first checkpoint on ``writer`` (see the module)."""
        if self.overgrown and self.has_room():
            try:
                self.overgrown = _passive(writer)[0] > 0  # busy (the thread's is running): after the next commit
            except sqlite3.Error as exc:  # the commit is done: a busy or full disk fails no transaction
                self._failed(exc, "on the writer ")
        self._due.set()

    def checkpoint(self) -> tuple[int, int]:
        """One PASSIVE checkpoint now (on the calling thread): the WAL's frames and how many of them
        are now in the database file. Past the limit, the WAL is :attr:`overgrown`."""
        if self._conn is None:
            self._conn = self._connect()
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_WAIT_MS}")
        _, frames, copied = _passive(self._conn)
        self.overgrown, self.starved = frames > self.wal_limit, False
        return frames, copied

    def has_room(self) -> bool:
        """May a checkpoint run? Always, unless :attr:`starved` and the disk has less room than the WAL."""
        if not self.starved:
            return True
        try:
            disk, wal = os.statvfs(self.wal_path.parent), self.wal_path.stat().st_size
        except OSError:  # no WAL (or no directory) to measure: nothing to lose by trying
            return True
        return disk.f_bavail * disk.f_frsize >= wal

    def stop(self) -> None:
        """End the thread (after a last checkpoint of what was committed) and close its connection."""
        self._stopping.set()
        self._due.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        try:
            while not self._stopping.is_set():
                self._due.wait()
                self._stopping.wait(self.interval)  # let a burst of commits share one checkpoint
                self._due.clear()
                self._checkpoint_logged()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _checkpoint_logged(self) -> None:
        if not self.has_room():
            return  # still starved: the next commit's checkpoint looks again
        try:
            self.checkpoint()
        except sqlite3.Error as exc:  # a busy or full disk: the next commit's checkpoint tries again
            self._failed(exc)

    def _failed(self, exc: sqlite3.Error, where: str = "") -> None:
        """Log a failed checkpoint (once per stretch of full disk) and note whether the disk was full."""
        if not self.starved:
            more = " (the next one waits until the disk has room for the whole WAL)" if disk_full(exc) else ""
            log.warning("WAL checkpoint of %s %sfailed: %s%s", self.wal_path, where, exc, more)
        self.starved = disk_full(exc)


def _passive(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """``PRAGMA wal_checkpoint(PASSIVE)`` on ``conn``: (1 if it could not run, the WAL's frames, those copied)."""
    busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(frames), int(copied)
