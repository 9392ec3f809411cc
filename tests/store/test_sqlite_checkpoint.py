"""WAL checkpoints off the commit path: a server's writer never checkpoints; its checkpointer does."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from store_samples import execution

from stepforge.store.sqlite import SqliteStore
from stepforge.store.sqlite_checkpoint import Checkpointer
from stepforge.testing import write


def _fill(store: SqliteStore, count: int) -> None:
    for number in range(count):
        write(store, lambda tx, n=number: tx.insert_execution(execution(f"run-{n}")))


def test_a_server_store_leaves_the_wal_to_its_checkpointer(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    store.checkpoint_in_background()
    writer = store._writer_conn
    assert writer is not None and writer.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    store.close()


def test_the_checkpointer_copies_what_the_writer_committed(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    _fill(store, 3)
    checkpointer = Checkpointer(store.path, store._open)
    frames, copied = checkpointer.checkpoint()
    assert frames > 0 and copied == frames
    checkpointer.stop()
    store.close()


def test_a_wal_past_its_limit_is_started_again_from_its_beginning_by_the_writer(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    checkpointer = store._checkpointer = Checkpointer(store.path, store._open, wal_limit=10)  # no thread
    _fill(store, 6)
    grown, _ = checkpointer.checkpoint()
    assert grown > 10 and checkpointer.overgrown
    write(store, lambda tx: tx.insert_execution(execution("after")))  # then the writer checkpoints the rest
    assert not checkpointer.overgrown
    write(store, lambda tx: tx.insert_execution(execution("later")))  # begins with all copied: the WAL anew
    restarted, copied = checkpointer.checkpoint()
    assert restarted < grown and copied == restarted and not checkpointer.overgrown
    assert store.get_execution(execution("later").arn) is not None
    checkpointer.stop()
    store.close()


def _refused_on_the_writer(tmp_path: Path) -> tuple[SqliteStore, Checkpointer]:
    """A store that committed "kept" while the checkpoint of its overgrown WAL, on the writer, failed
    for a full disk."""
    store = SqliteStore(tmp_path)
    checkpointer = store._checkpointer = Checkpointer(store.path, store._open, wal_limit=4)
    checkpointer.overgrown = True
    writer = store._writer_conn
    assert writer is not None
    store._writer_conn = _Refusing(writer)  # type: ignore[assignment]
    write(store, lambda tx: tx.insert_execution(execution("kept")))
    store._writer_conn = writer
    return store, checkpointer


def test_a_writer_that_cannot_checkpoint_keeps_its_commit(tmp_path: Path) -> None:
    store, checkpointer = _refused_on_the_writer(tmp_path)
    assert checkpointer.overgrown  # tried again after the next commit
    assert store.get_execution(execution("kept").arn) is not None
    checkpointer.stop()
    store.close()


class _Refusing:
    """A writer connection whose checkpoints fail (a full disk), every other call as the real one."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("PRAGMA wal_checkpoint"):
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def test_closing_the_store_stops_its_checkpointer_after_a_last_checkpoint(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    store.checkpoint_in_background()
    checkpointer = store._checkpointer
    assert checkpointer is not None
    _fill(store, 3)
    store.close()
    assert not checkpointer._thread.is_alive()
    reopened = SqliteStore(tmp_path)
    assert reopened.get_execution(execution("run-2").arn) is not None
    reopened.close()


def test_a_closed_store_is_one_file_though_other_threads_read_it(tmp_path: Path) -> None:
    """Every thread's reader connection is closed with the store, so the last close copies the WAL into
    the database file and removes it: a copy of the file is a whole backup, and a damaged page of the
    file is not hidden behind a newer copy of it in a WAL."""
    store = SqliteStore(tmp_path)
    store.checkpoint_in_background()
    _fill(store, 3)
    readers = [threading.Thread(target=store.get_execution, args=(execution("run-1").arn,)) for _ in range(3)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    store.get_execution(execution("run-2").arn)
    store.close()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["stepforge.sqlite3"]
    reopened = SqliteStore(tmp_path)
    assert reopened.get_execution(execution("run-2").arn) is not None
    reopened.close()


class _Disk:
    """What ``os.statvfs`` tells of a disk with ``free`` bytes left."""

    def __init__(self, free: int) -> None:
        self.f_bavail, self.f_frsize = free, 1


def test_a_checkpoint_that_failed_for_a_full_disk_waits_for_room_for_the_whole_wal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, checkpointer = _refused_on_the_writer(tmp_path)
    assert checkpointer.starved  # the writer's checkpoint failed for a full disk
    wal = checkpointer.wal_path.stat().st_size
    monkeypatch.setattr(os, "statvfs", lambda path: _Disk(wal - 1))
    checkpointer._checkpoint_logged()
    assert checkpointer._conn is None and checkpointer.starved  # not tried: it would take the space and fail
    write(store, lambda tx: tx.insert_execution(execution("later")))  # nor on the writer after its commit
    assert checkpointer.overgrown and checkpointer.starved
    monkeypatch.setattr(os, "statvfs", lambda path: _Disk(wal * 2))
    checkpointer._checkpoint_logged()
    assert not checkpointer.starved and checkpointer._conn is not None
    checkpointer.stop()
    store.close()


def test_a_busy_checkpoint_is_not_starved(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    checkpointer = Checkpointer(store.path, store._open)
    checkpointer._failed(sqlite3.OperationalError("database is locked"))
    assert not checkpointer.starved and checkpointer.has_room()
    checkpointer.stop()
    store.close()
