"""Contract: a transaction or savepoint that raises leaves nothing behind, on every backend."""

from __future__ import annotations

import pytest
from store_samples import ACTIVITY, MACHINE, execution, inserted, machine, map_run

from stepforge.asl.records import Event
from stepforge.store.base import ExecutionQuery, Store
from stepforge.store.records import ActivityTaskRecord, ChildWatchRecord, DispatchRecord, TimerRecord


def test_popped_signals_return_when_the_transaction_fails(store: Store) -> None:
    store.push_signal("x", None)
    with pytest.raises(RuntimeError), store.transaction():
        store.pop_signals(10)
        raise RuntimeError("crash before commit")
    assert store.pop_signals(10) == [("x", None)]


def test_a_failed_transaction_undoes_every_write(store: Store) -> None:
    parent = inserted(store, "parent")
    with pytest.raises(RuntimeError), store.transaction():
        store.put_state_machine(machine("gone", 1.0))
        record = execution("child", started=2.0)
        store.insert_execution(record)
        store.append_events(parent, [Event(1, 0, "ExecutionStarted", 1.0)])
        store.push_signal(parent, None)
        store.set_timer(TimerRecord(1.0, parent, 1, "wait"))
        store.add_activity_task(ActivityTaskRecord("t", ACTIVITY, parent, 1, "{}", 1.0))
        store.add_dispatch(DispatchRecord("d", parent, 2, "arn:aws:lambda:f", "S", "", "{}", 1.0))
        store.add_child_watch(ChildWatchRecord(record.arn, parent, 3, "sync", 1.0))
        store.insert_map_run(map_run("l", parent), ["1", "2", "3"])
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
    store.add_activity_task(ActivityTaskRecord("t", ACTIVITY, parent, 1, "{}", 1.0))
    store.set_timer(TimerRecord(1.0, parent, 1, "wait"))
    with pytest.raises(RuntimeError), store.transaction():
        record = store.get_execution(parent)
        assert record is not None
        record.status = "SUCCEEDED"
        store.update_execution(record)
        store.close_tasks(parent)
        store.due_timers(5.0, 10)
        raise RuntimeError("crash before commit")
    found = store.get_execution(parent)
    assert found is not None and found.status == "RUNNING"
    assert store.count_open_executions() == 1
    assert store.poll_activity_task(ACTIVITY, "w") is not None
    assert store.due_timers(5.0, 10) == [TimerRecord(1.0, parent, 1, "wait")]


def test_a_savepoint_undoes_only_its_own_writes(store: Store) -> None:
    with store.transaction():
        store.push_signal("kept", None)
        with pytest.raises(RuntimeError), store.savepoint():
            store.push_signal("undone", None)
            raise RuntimeError("this step fails")
        store.push_signal("after", None)
    assert [arn for arn, _ in store.pop_signals(10)] == ["kept", "after"]


def test_a_timer_cancelled_in_a_failed_transaction_stays_armed(store: Store) -> None:
    store.set_timer(TimerRecord(3.0, "x", 1, "wait"))
    with pytest.raises(RuntimeError), store.transaction():
        store.cancel_timers("x")
        assert store.next_due() is None
        raise RuntimeError("crash before commit")
    assert store.next_due() == 3.0
    assert store.due_timers(5.0, 10) == [TimerRecord(3.0, "x", 1, "wait")]
