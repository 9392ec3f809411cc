"""WAL checkpoints on a thread of their own, off the writer's commit path.

By default SQLite checkpoints inside the ``COMMIT`` that takes the WAL past 1,000 pages: that commit
copies every page into the database file and fsyncs it, so one batch in a few hundred waits tens of
milliseconds more than the others (the engine's p99 under load). With a :class:`Checkpointer` the
writer never checkpoints (``wal_autocheckpoint=0``); the checkpointer's own connection runs
``PRAGMA wal_checkpoint(PASSIVE)`` a moment after commits, which never blocks the writer nor readers.

A PASSIVE checkpoint copies what no reader still needs; the writer reuses the WAL from its start
only when a checkpoint has copied all of it, which commits every few milliseconds may never let
happen. So once the WAL holds more than :data:`WAL_LIMIT_FRAMES`, a ``RESTART`` checkpoint follows
the PASSIVE one: it makes the writer wait while it copies the little the PASSIVE one left, and the
next transaction starts the WAL again from its beginning.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

#: How long after a commit the checkpointer looks (commits in the meantime share one checkpoint).
INTERVAL_SECONDS = 0.2
#: A WAL of more frames (pages) than this is started again (4 times SQLite's autocheckpoint size).
WAL_LIMIT_FRAMES = 4000
#: How long a RESTART checkpoint waits for readers of old snapshots (writers wait meanwhile) before
#: it gives up until the next one.
RESTART_WAIT_MS = 100


class Checkpointer:
    """Copies the WAL of the database at ``path`` into it on a daemon thread, after commits.

    ``connect`` opens a connection to the database (with its ``synchronous`` setting: a checkpoint
    fsyncs the database file under FULL). :meth:`committed` is what the writer calls after each
    commit (cheap: it sets an event); :meth:`stop` ends the thread after a last checkpoint.
    """

    def __init__(self, path: Path, connect: Callable[[], sqlite3.Connection], *,
                 interval: float = INTERVAL_SECONDS, wal_limit: int = WAL_LIMIT_FRAMES) -> None:
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
        now in the database file. PASSIVE, then RESTART if the WAL holds more than the limit."""
        frames, copied = self._run("PASSIVE")
        if frames > self.wal_limit:
            frames, copied = self._run("RESTART")
        return frames, copied

    def _run(self, mode: str) -> tuple[int, int]:
        if self._conn is None:
            self._conn = self._connect()
            self._conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
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
