"""What only the SQLite store has: shared definitions, foreign keys, indexes behind every paged list."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_samples import MACHINE, REGION, execution, machine

from stepforge.store.records import ChildWatchRecord, DispatchRecord
from stepforge.store.sqlite import SqliteStore
from stepforge.testing import write


def test_a_definition_whose_insert_rolled_back_is_inserted_again(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert_execution(execution("lost"))
        raise RuntimeError("rolled back")
    write(store, lambda tx: tx.insert_execution(execution("kept")))  # the same definition text as the rolled-back one
    store.close()
    reopened = SqliteStore(tmp_path)
    found = reopened.get_execution(execution("kept").arn)
    assert found is not None and found.definition == execution("kept").definition


def test_a_definition_whose_savepoint_rolled_back_is_inserted_again(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    with store.transaction() as tx:
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.put_state_machine(machine("lost", 1.0))
            raise RuntimeError("this step fails")
        tx.put_state_machine(machine("kept", 2.0))
    store.close()
    found = SqliteStore(tmp_path).get_state_machine(machine("kept", 2.0).arn)
    assert found is not None and found.definition == "{}"


def test_foreign_keys_are_on_for_every_connection(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    assert store._execute("PRAGMA foreign_keys").fetchone()[0] == 1


@pytest.mark.parametrize("sql, params", [
    (("INSERT INTO state_machines VALUES (?, 'm', 'no-such-hash', 'r', 'STANDARD', 1, 'rev', 'ACTIVE', '{}', '{}', "
     "'', '{}', '{}', 1)"), (MACHINE,)),
    ("INSERT INTO map_run_items (map_run_arn, idx, input, status) VALUES ('no-such-run', 0, '{}', 'PENDING')", ()),
])
def test_a_dangling_reference_is_refused(tmp_path: Path, sql: str, params: tuple[str, ...]) -> None:
    store = SqliteStore(tmp_path)
    with pytest.raises(sqlite3.IntegrityError):
        store._execute(sql, params)


def test_task_rows_refer_to_their_executions(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    ghost = f"{REGION}:execution:m:ghost"
    with pytest.raises(sqlite3.IntegrityError):
        write(store, lambda tx: tx.add_dispatch(DispatchRecord("t", ghost, 1, "arn:aws:lambda:f", "S", "", "{}", 1.0)))
    write(store, lambda tx: tx.insert_execution(execution("parent")))
    with pytest.raises(sqlite3.IntegrityError):
        write(store, lambda tx: tx.add_child_watch(ChildWatchRecord(ghost, execution("parent").arn, 1, "sync", 1.0)))


@pytest.mark.parametrize("sql", [
    ("SELECT * FROM executions WHERE state_machine_arn = 'm' AND (started, rowid) < (1, 2) "
    "ORDER BY started DESC, rowid DESC LIMIT 101"),
    ("SELECT * FROM executions WHERE state_machine_arn = 'm' AND status = 'RUNNING' AND (started, rowid) < (1, 2) "
    "ORDER BY started DESC, rowid DESC LIMIT 101"),
    "SELECT * FROM executions WHERE version_arn = 'v' ORDER BY started DESC, rowid DESC LIMIT 101",
    "SELECT * FROM executions WHERE map_run_arn = 'r' ORDER BY started DESC, rowid DESC LIMIT 101",
    "SELECT COUNT(*) FROM executions WHERE status = 'RUNNING'",
    "SELECT * FROM executions WHERE (started, rowid) < (1, 2) ORDER BY started DESC, rowid DESC LIMIT 101",
    ("SELECT * FROM executions WHERE status = 'FAILED' AND (started, rowid) < (1, 2) "
     "ORDER BY started DESC, rowid DESC LIMIT 26"),
    ("SELECT * FROM executions WHERE started >= 1 AND started <= 9 AND (started, rowid) < (5, 2) "
     "ORDER BY started DESC, rowid DESC LIMIT 26"),
    ("SELECT * FROM executions WHERE state_machine_arn = 'm' AND started >= 1 AND started <= 9 "
     "ORDER BY started DESC, rowid DESC LIMIT 26"),
    ("SELECT * FROM executions WHERE status = 'FAILED' AND started >= 1 AND started <= 9 "
     "ORDER BY started DESC, rowid DESC LIMIT 26"),
    ("SELECT * FROM executions WHERE instr(lower(name), lower('x')) > 0 AND (started, rowid) < (1, 2) "
     "ORDER BY started DESC, rowid DESC LIMIT 26"),
    "SELECT * FROM state_machines WHERE status = 'ACTIVE' AND (created, arn) > (1, 'a') ORDER BY created, arn LIMIT 3",
    ("SELECT * FROM state_machines WHERE 1 = 1 AND instr(lower(name), lower('x')) > 0 AND (created, arn) > (1, 'a') "
     "ORDER BY created, arn LIMIT 51"),
    "SELECT body FROM map_runs WHERE execution_arn = 'x' AND (started, arn) > (1, 'a') ORDER BY started, arn LIMIT 3",
    "SELECT * FROM task_dispatches WHERE closed = 0 ORDER BY created, token LIMIT 3",
    "SELECT * FROM task_dispatches WHERE closed = 0 AND callback = 1 ORDER BY created LIMIT 3",
    "SELECT * FROM activity_tasks WHERE closed = 0 ORDER BY scheduled LIMIT 3",
    "SELECT * FROM activities WHERE (created, arn) > (1, 'a') ORDER BY created, arn LIMIT 3",
    "SELECT * FROM map_run_items WHERE map_run_arn = 'r' AND status = 'PENDING' AND idx > 5 ORDER BY idx LIMIT 3",
])
def test_paged_lists_read_an_index_in_order(tmp_path: Path, sql: str) -> None:
    plan = " | ".join(row[-1] for row in SqliteStore(tmp_path)._execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
    assert "INDEX" in plan and "TEMP B-TREE" not in plan, plan


def test_a_child_watch_is_found_by_a_store_opened_after_it_was_added(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path)
    assert not first.watched  # nothing added yet: get_child_watch reads nothing
    for name in ("parent", "child"):
        write(first, lambda tx, name=name: tx.insert_execution(execution(name)))
    watch = ChildWatchRecord(execution("child").arn, execution("parent").arn, 1, "sync", 1.0)
    write(first, lambda tx: tx.add_child_watch(watch))
    assert first.watched and first.get_child_watch(watch.child_arn) == watch
    first.close()
    again = SqliteStore(tmp_path)
    assert again.watched and again.get_child_watch(watch.child_arn) == watch
    again.close()
