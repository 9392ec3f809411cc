"""WAL checkpoints on a thread of their own, off the writer's commit path.

By default SQLite checkpoints inside the ``COMMIT`` that takes the WAL past 1,000 pages: that commit
copies every page into the database file and fsyncs it, so one batch in a few hundred waits tens of
milliseconds more than the others (the engine's p99 under load). With a :class:`Checkpointer` the
writer never checkpoints (``wal_autocheckpoint=0``); the checkpointer's own connection runs
``PRAGMA wal_checkpoint(PASSIVE)`` a moment after commits, which never blocks the writer nor readers.

A PASSIVE checkpoint copies what no reader still needs; the WAL is reused from its start once a
checkpoint has copied it all. Should the WAL still pass :data:`WAL_LIMIT_BYTES` (readers holding old
snapshots for a long time), one ``RESTART`` checkpoint waits for them (and makes the writer wait)
to bound the file.
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
#: A WAL past this size is checkpointed with RESTART (waiting for old readers), not PASSIVE.
WAL_LIMIT_BYTES = 256 * 1024 * 1024


class Checkpointer:
    """Copies the WAL of the database at ``path`` into it on a daemon thread, after commits.

    ``connect`` opens a connection to the database (with its ``synchronous`` setting: a checkpoint
    fsyncs the database file under FULL). :meth:`committed` is what the writer calls after each
    commit (cheap: it sets an event); :meth:`stop` ends the thread after a last checkpoint.
    """

    def __init__(self, path: Path, connect: Callable[[], sqlite3.Connection], *,
                 interval: float = INTERVAL_SECONDS, wal_limit: int = WAL_LIMIT_BYTES) -> None:
        self.wal_path = path.with_name(path.name + "-wal")
        self._connect, self.interval, self.wal_limit = connect, interval, wal_limit
        self._due = threading.Event()
        self._stopping = threading.Event()
        self._conn: sqlite3.Connection | None = None
        self._thread = threading.Thread(target=self._loop, name="stepforge-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def committed(self) -> None:
        """The writer committed: checkpoint within :attr:`interval`."""
        self._due.set()

    def checkpoint(self) -> tuple[int, int]:
        """One checkpoint now (on the calling thread): the WAL's frames and how many of them are
        now in the database file. RESTART if the WAL file passed the limit, else PASSIVE."""
        if self._conn is None:
            self._conn = self._connect()
        mode = "RESTART" if self._wal_bytes() > self.wal_limit else "PASSIVE"
        _, frames, copied = self._conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return int(frames), int(copied)

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
        try:
            self.checkpoint()
        except sqlite3.Error as exc:  # a busy or full disk: the next commit's checkpoint tries again
            log.warning("WAL checkpoint of %s failed: %s", self.wal_path, exc)

    def _wal_bytes(self) -> int:
        try:
            return os.stat(self.wal_path).st_size
        except OSError:
            return 0
