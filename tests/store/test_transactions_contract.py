"""Contract: a transaction or savepoint that raises leaves nothing behind, on every backend."""

from __future__ import annotations

import pytest
from store_samples import ACTIVITY, MACHINE, execution, inserted, machine, map_run

from stepforge.asl.records import Event
from stepforge.store.base import ExecutionQuery, Store
from stepforge.store.records import ActivityTaskRecord, ChildWatchRecord, DispatchRecord, TimerRecord
from stepforge.testing import write


def test_popped_signals_return_when_the_transaction_fails(store: Store) -> None:
    write(store, lambda tx: tx.push_signal("x", None))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.pop_signals(10)
        raise RuntimeError("crash before commit")
    assert write(store, lambda tx: tx.pop_signals(10)) == [("x", None)]


def test_a_failed_transaction_undoes_every_write(store: Store) -> None:
    parent = inserted(store, "parent")
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.put_state_machine(machine("gone", 1.0))
        record = execution("child", started=2.0)
        tx.insert_execution(record)
        tx.append_events(parent, [Event(1, 0, "ExecutionStarted", 1.0)])
        tx.push_signal(parent, None)
        tx.set_timer(TimerRecord(1.0, parent, 1, "wait"))
        tx.add_activity_task(ActivityTaskRecord("t", ACTIVITY, parent, 1, "{}", 1.0))
        tx.add_dispatch(DispatchRecord("d", parent, 2, "arn:aws:lambda:f", "S", "", "{}", 1.0))
        tx.add_child_watch(ChildWatchRecord(record.arn, parent, 3, "sync", 1.0))
        tx.insert_map_run(map_run("l", parent), ["1", "2", "3"])
        raise RuntimeError("crash before commit")
    assert store.list_state_machines(limit=10).items == []
    assert [r.name for r in store.list_executions(ExecutionQuery(state_machine_arn=MACHINE), limit=10).items] == [
        "parent"]
    assert store.get_events(parent) == []
    assert store.pending_work(parent) == 0
    assert (store.get_activity_task("t"), store.get_dispatch("d"), store.get_child_watch(execution("child").arn),
            store.get_map_run(map_run("l", parent).arn)) == (None, None, None, None)
    assert store.next_due() is None


def test_a_failed_transaction_restores_what_it_changed(store: Store) -> None:
    parent = inserted(store, "parent")
    write(store, lambda tx: tx.add_activity_task(ActivityTaskRecord("t", ACTIVITY, parent, 1, "{}", 1.0)))
    write(store, lambda tx: tx.set_timer(TimerRecord(1.0, parent, 1, "wait")))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        record = tx.get_execution(parent)
        assert record is not None
        record.status = "SUCCEEDED"
        tx.update_execution(record)
        tx.close_tasks(parent)
        tx.due_timers(5.0, 10)
        raise RuntimeError("crash before commit")
    found = store.get_execution(parent)
    assert found is not None and found.status == "RUNNING"
    assert store.count_open_executions() == 1
    assert write(store, lambda tx: tx.poll_activity_task(ACTIVITY, "w")) is not None
    assert write(store, lambda tx: tx.due_timers(5.0, 10)) == [TimerRecord(1.0, parent, 1, "wait")]


def test_a_savepoint_undoes_only_its_own_writes(store: Store) -> None:
    with store.transaction() as tx:
        tx.push_signal("kept", None)
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.push_signal("undone", None)
            raise RuntimeError("this step fails")
        tx.push_signal("after", None)
    assert [arn for arn, _ in write(store, lambda tx: tx.pop_signals(10))] == ["kept", "after"]


def test_a_timer_cancelled_in_a_failed_transaction_stays_armed(store: Store) -> None:
    write(store, lambda tx: tx.set_timer(TimerRecord(3.0, "x", 1, "wait")))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.cancel_timers("x")
        assert tx.next_due() is None
        raise RuntimeError("crash before commit")
    assert store.next_due() == 3.0
    assert write(store, lambda tx: tx.due_timers(5.0, 10)) == [TimerRecord(3.0, "x", 1, "wait")]
