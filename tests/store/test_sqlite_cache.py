"""The SQLite store keeps state machines and event rules read until a commit changes them, sends a
savepoint only when its block writes, and sends some writes together."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_samples import execution, machine

from stepforge.asl.records import Event
from stepforge.store.sqlite import SqliteStore
from stepforge.store.sqlite_cache import CommittedCache
from stepforge.store.trigger_records import RuleRecord
from stepforge.testing import write

RULE = RuleRecord("arn:aws:events:us-east-1:0:rule/default/watch", "default", "watch", "ENABLED", 1.0,
                  {"EventPattern": "{}"})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    found = SqliteStore(tmp_path)
    yield found
    found.close()


def statements(store: SqliteStore) -> list[str]:
    """The statements the writer connection runs from now on (the store's first transaction opened it)."""
    seen: list[str] = []
    assert store._writer_conn is not None
    store._writer_conn.set_trace_callback(seen.append)
    return seen


def test_a_committed_change_of_a_machine_is_read_at_once(store: SqliteStore) -> None:
    record = machine("m", 1.0)
    write(store, lambda tx: tx.put_state_machine(record))
    assert store.get_state_machine(record.arn).status == "ACTIVE"  # type: ignore[union-attr]
    record.status = "DELETING"
    write(store, lambda tx: tx.put_state_machine(record))
    assert store.get_state_machine(record.arn).status == "DELETING"  # type: ignore[union-attr]
    write(store, lambda tx: tx.delete_state_machine(record.arn))
    assert store.get_state_machine(record.arn) is None


def test_a_transaction_reads_its_own_change_and_others_the_committed_one(store: SqliteStore) -> None:
    record = machine("m", 1.0)
    write(store, lambda tx: tx.put_state_machine(record))
    assert store.get_state_machine(record.arn) is not None  # kept
    seen: list[object] = []

    def read_elsewhere() -> None:
        seen.append(store.get_state_machine(record.arn))

    with store.transaction() as tx:
        tx.delete_state_machine(record.arn)
        assert tx.get_state_machine(record.arn) is None
        reader = threading.Thread(target=read_elsewhere)
        reader.start()
        reader.join()
    assert seen[0] is not None  # the other thread saw the machine as committed then
    assert store.get_state_machine(record.arn) is None


def test_a_rolled_back_change_leaves_the_machine_as_it_was(store: SqliteStore) -> None:
    record = machine("m", 1.0)
    write(store, lambda tx: tx.put_state_machine(record))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.delete_state_machine(record.arn)
        raise RuntimeError("rolled back")
    assert store.get_state_machine(record.arn) is not None


def test_each_read_of_a_kept_machine_is_a_record_of_the_callers_own(store: SqliteStore) -> None:
    write(store, lambda tx: tx.put_state_machine(machine("m", 1.0)))
    first = store.get_state_machine(machine("m", 1.0).arn)
    assert first is not None
    first.status, first.tags["changed"] = "DELETING", "here"
    again = store.get_state_machine(first.arn)
    assert again is not None and again.status == "ACTIVE" and again.tags == {}


def test_a_rule_put_or_deleted_is_listed_as_soon_as_it_commits(store: SqliteStore) -> None:
    assert store.list_rules("default", limit=1).items == []
    write(store, lambda tx: tx.put_rule(RULE))
    assert [r.name for r in store.list_rules("default", limit=1).items] == ["watch"]
    with store.transaction() as tx:
        tx.delete_rule(RULE.arn)
        assert tx.list_rules("default", limit=1).items == []
    assert store.list_rules("default", limit=1).items == []


def test_a_value_read_while_a_commit_changed_its_kind_is_not_kept() -> None:
    cache: CommittedCache[str] = CommittedCache()

    def read_across_a_commit() -> str:
        cache.changed()  # a writer commits while this read runs
        return "as read before the commit"

    assert cache.get("k", read_across_a_commit) == "as read before the commit"
    assert cache.get("k", lambda: "as committed") == "as committed"
    assert cache.get("k", lambda: "read again") == "as committed"


def test_a_savepoint_whose_block_only_reads_sends_nothing(store: SqliteStore) -> None:
    write(store, lambda tx: tx.put_state_machine(machine("m", 1.0)))
    seen = statements(store)
    with store.transaction() as tx, tx.savepoint():
        tx.get_state_machine(machine("m", 1.0).arn)
        tx.list_rules("default", limit=1)
    assert not [s for s in seen if "SAVEPOINT" in s or "RELEASE" in s]


def test_a_savepoint_is_sent_before_the_first_write_of_its_block_and_nested_ones_with_it(store: SqliteStore) -> None:
    write(store, lambda tx: None)
    seen = statements(store)
    with store.transaction() as tx:
        with tx.savepoint():
            tx.list_rules("default", limit=1)
            with tx.savepoint():
                tx.put_state_machine(machine("kept", 1.0))
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.get_state_machine(machine("kept", 1.0).arn)
            with tx.savepoint():
                tx.put_state_machine(machine("undone", 2.0))
                raise RuntimeError("this block fails")
    marks = [s.split()[0] for s in seen if s.split()[0] in ("SAVEPOINT", "RELEASE", "ROLLBACK")]
    assert marks == ["SAVEPOINT", "SAVEPOINT", "RELEASE", "RELEASE",
                     "SAVEPOINT", "SAVEPOINT", "ROLLBACK", "RELEASE", "ROLLBACK", "RELEASE"]
    assert store.get_state_machine(machine("kept", 1.0).arn) is not None
    assert store.get_state_machine(machine("undone", 2.0).arn) is None


def test_deferred_writes_are_read_back_undone_with_their_savepoint_and_the_later_of_two_wins(
        store: SqliteStore) -> None:
    first, second = execution("one"), execution("two")
    write(store, lambda tx: (tx.insert_execution(first), tx.insert_execution(second)))
    with store.transaction() as tx:
        first.status, second.status = "SUCCEEDED", "FAILED"
        tx.update_execution(first)
        tx.append_events(first.arn, [Event(1, 0, "ExecutionStarted", 1.0)])
        tx.update_execution(second)
        second.status = "ABORTED"
        tx.update_execution(second)
        assert [e.type for e in tx.get_events(first.arn)] == ["ExecutionStarted"]
        with pytest.raises(RuntimeError), tx.savepoint():
            first.status = "TIMED_OUT"
            tx.update_execution(first)
            raise RuntimeError("undone")
    assert store.get_execution(first.arn).status == "SUCCEEDED"  # type: ignore[union-attr]
    assert store.get_execution(second.arn).status == "ABORTED"  # type: ignore[union-attr]


def test_many_deferred_writes_are_sent_in_a_few_statements_and_all_land(store: SqliteStore) -> None:
    records = [execution(f"e{i}") for i in range(23)]
    write(store, lambda tx: [tx.insert_execution(r) for r in records])
    seen = statements(store)
    with store.transaction() as tx:
        for record in records:
            record.status = "SUCCEEDED"
            tx.append_events(record.arn, [Event(1, 0, "ExecutionSucceeded", 2.0)])
        for record in records:
            tx.update_execution(record)
    assert len([s for s in seen if s.startswith(("INSERT INTO events", "UPDATE executions"))]) == 2 * 4  # 16+4+2+1
    assert {store.get_execution(r.arn).status for r in records} == {"SUCCEEDED"}  # type: ignore[union-attr]
    assert all(len(store.get_events(r.arn)) == 1 for r in records)
