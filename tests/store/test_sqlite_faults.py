"""SQLite files owner-only, a damaged file found by quick_check, one process per data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepforge.store.lock import DataDirLocked, lock_data_dir
from stepforge.store.records import ActivityRecord
from stepforge.store.sqlite import FILE_NAME, SqliteStore

ACTIVITY = "arn:aws:states:us-east-1:000000000000:activity:a"


def filled(path: Path) -> SqliteStore:
    store = SqliteStore(path)
    with store.transaction() as tx:
        for index in range(500):
            tx.put_activity(ActivityRecord(f"{ACTIVITY}{index}", f"a{index}", float(index), {"k": "v" * 100}))
    store._execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store


def test_the_directory_and_every_file_are_the_owners_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = filled(data)
    try:
        assert data.stat().st_mode & 0o777 == 0o700
        assert {p.name: p.stat().st_mode & 0o777 for p in data.iterdir()} == {
            name: 0o600 for name in (FILE_NAME, f"{FILE_NAME}-wal", f"{FILE_NAME}-shm")}
    finally:
        store.close()


def test_files_made_readable_before_are_made_owner_only(tmp_path: Path) -> None:
    filled(tmp_path).close()
    (tmp_path / FILE_NAME).chmod(0o644)
    SqliteStore(tmp_path).close()
    assert (tmp_path / FILE_NAME).stat().st_mode & 0o777 == 0o600


def test_quick_check_finds_a_damaged_file(tmp_path: Path) -> None:
    store = filled(tmp_path)
    assert store.quick_check() == []
    store.close()
    database = tmp_path / FILE_NAME
    damaged = bytearray(database.read_bytes())
    damaged[4096 * 2:4096 * 4] = b"\xab" * 8192
    database.write_bytes(bytes(damaged))
    reopened = SqliteStore(tmp_path)
    try:
        problems = reopened.quick_check(limit=3)
        assert 0 < len(problems) <= 3
    finally:
        reopened.close()


def test_one_holder_per_data_directory(tmp_path: Path) -> None:
    first = lock_data_dir(tmp_path)
    with pytest.raises(DataDirLocked, match="in use by process"):
        lock_data_dir(tmp_path)
    first.release()
    lock_data_dir(tmp_path).release()
