"""Contract: activities, activity tasks, dispatches and child watches — each in its own table."""

from __future__ import annotations

import pytest
from store_samples import ACTIVITY, execution, inserted

from stepforge.store.base import Conflict, Store
from stepforge.store.records import ActivityRecord, ActivityTaskRecord, ChildWatchRecord, DispatchRecord
from stepforge.testing import write

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:f"
CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


def dispatch(token: str, execution_arn: str, wait_id: int, created: float, *, callback: bool = False) -> DispatchRecord:
    return DispatchRecord(token, execution_arn, wait_id, CALLBACK if callback else LAMBDA, "Work", "", '{"n":1}',
                          created, callback=callback)


def test_activities_round_trip(store: Store) -> None:
    write(store, lambda tx: tx.put_activity(ActivityRecord(ACTIVITY, "a", 1.0, {"k": "v"})))
    assert store.get_activity(ACTIVITY) == ActivityRecord(ACTIVITY, "a", 1.0, {"k": "v"})
    assert [a.name for a in store.list_activities(limit=10).items] == ["a"]
    write(store, lambda tx: tx.delete_activity(ACTIVITY))
    assert store.get_activity(ACTIVITY) is None


def test_activities_page_oldest_first(store: Store) -> None:
    with store.transaction() as tx:
        for index in range(3):
            tx.put_activity(ActivityRecord(f"{ACTIVITY}{index}", f"a{index}", float(2 - index)))
    first = store.list_activities(limit=2)
    second = store.list_activities(after=first.next, limit=2)
    assert [a.name for a in first.items + second.items] == ["a2", "a1", "a0"] and second.next is None


def test_activity_tasks_are_handed_out_once_in_order(store: Store) -> None:
    write(store, lambda tx: tx.put_activity(ActivityRecord(ACTIVITY, "a", 1.0)))
    with store.transaction() as tx:
        for index in range(3):
            tx.add_activity_task(ActivityTaskRecord(f"t{index}", ACTIVITY, "x", index, "{}", float(index),
                                                       state_name="Ask"))
    first = write(store, lambda tx: tx.poll_activity_task(ACTIVITY, "w"))
    assert first is not None and (first.token, first.started, first.worker_name, first.state_name) == (
        "t0", True, "w", "Ask")
    write(store, lambda tx: tx.close_tasks("x", [1]))
    second = write(store, lambda tx: tx.poll_activity_task(ACTIVITY, None))
    assert second is not None and second.token == "t2"
    assert write(store, lambda tx: tx.poll_activity_task(ACTIVITY, None)) is None
    closed = store.get_activity_task("t1")
    assert closed is not None and closed.closed
    assert store.get_activity_task("never") is None
    assert store.pending_work("x") == 2
    write(store, lambda tx: tx.close_tasks("x"))
    assert store.pending_work("x") == 0


def test_open_activity_tasks_list_oldest_first(store: Store) -> None:
    with store.transaction() as tx:
        for index, scheduled in enumerate([3.0, 1.0, 2.0]):
            tx.add_activity_task(ActivityTaskRecord(f"t{index}", ACTIVITY, "x", index, "{}", scheduled))
    write(store, lambda tx: tx.close_tasks("x", [2]))
    assert [t.token for t in store.open_activity_tasks(10)] == ["t1", "t0"]
    assert [t.token for t in store.open_activity_tasks(1)] == ["t1"]


def test_dispatches_stay_open_while_their_wait_does(store: Store) -> None:
    x, y = inserted(store, "x"), inserted(store, "y")
    write(store, lambda tx: tx.add_dispatch(dispatch("f1", x, 1, 2.0)))
    write(store, lambda tx: tx.add_dispatch(dispatch("f2", y, 1, 1.0, callback=True)))
    write(store, lambda tx: tx.add_activity_task(ActivityTaskRecord("a1", ACTIVITY, x, 2, "{}", 0.5)))
    assert store.get_dispatch("f1") == dispatch("f1", x, 1, 2.0)
    assert [d.token for d in store.open_dispatches(limit=10).items] == ["f2", "f1"]
    assert [d.token for d in store.open_callbacks(10)] == ["f2"]
    write(store, lambda tx: tx.close_tasks(y, [1]))
    assert [d.token for d in store.open_dispatches(limit=10).items] == ["f1"]
    assert store.open_callbacks(10) == []
    closed = store.get_dispatch("f2")
    assert closed is not None and closed.closed
    assert (store.pending_work(x), store.pending_work(y)) == (2, 0)


def test_open_dispatches_page_by_cursor(store: Store) -> None:
    x = inserted(store, "x")
    with store.transaction() as tx:
        for index in range(5):
            tx.add_dispatch(dispatch(f"d{index}", x, index, float(index // 2)))
    first = store.open_dispatches(limit=3)
    second = store.open_dispatches(after=first.next, limit=3)
    assert [d.token for d in first.items + second.items] == ["d0", "d1", "d2", "d3", "d4"]
    assert second.next is None


def test_a_child_watch_is_found_by_its_child_and_closes_with_the_parent_wait(store: Store) -> None:
    parent, child, other = inserted(store, "parent"), inserted(store, "child"), inserted(store, "other")
    watch = ChildWatchRecord(child, parent, 4, "sync:2", 1.0)
    write(store, lambda tx: tx.add_child_watch(watch))
    write(store, lambda tx: tx.add_child_watch(ChildWatchRecord(child, other, 1, "sync", 2.0)))  # the same child: ignored
    write(store, lambda tx: tx.add_child_watch(ChildWatchRecord(other, parent, 5, "sync", 3.0)))
    assert store.get_child_watch(child) == watch
    assert [w.child_arn for w in store.open_child_watches(parent)] == [child, other]
    assert [w.child_arn for w in store.open_child_watches(parent, [5])] == [other]
    assert store.pending_work(parent) == 2
    write(store, lambda tx: tx.close_tasks(parent, [4]))
    closed = store.get_child_watch(child)
    assert closed is not None and closed.closed
    assert [w.child_arn for w in store.open_child_watches(parent)] == [other]
    assert store.open_child_watches(execution("nobody").arn) == []


def test_closing_a_wait_closes_each_kind_of_task_it_holds(store: Store) -> None:
    parent, child = inserted(store, "parent"), inserted(store, "child")
    write(store, lambda tx: tx.add_activity_task(ActivityTaskRecord("a", ACTIVITY, parent, 1, "{}", 1.0)))
    write(store, lambda tx: tx.add_dispatch(dispatch("d", parent, 1, 1.0)))
    write(store, lambda tx: tx.add_child_watch(ChildWatchRecord(child, parent, 1, "sync", 1.0)))
    write(store, lambda tx: tx.add_dispatch(dispatch("other-wait", parent, 2, 1.0)))
    write(store, lambda tx: tx.close_tasks(parent, [1]))
    assert store.pending_work(parent) == 1
    assert [d.token for d in store.open_dispatches(limit=10).items] == ["other-wait"]


def test_a_token_is_stored_once(store: Store) -> None:
    x = inserted(store, "x")
    write(store, lambda tx: tx.add_activity_task(ActivityTaskRecord("t", ACTIVITY, x, 1, "{}", 1.0)))
    write(store, lambda tx: tx.add_dispatch(dispatch("d", x, 2, 1.0)))
    with pytest.raises(Conflict):
        write(store, lambda tx: tx.add_activity_task(ActivityTaskRecord("t", ACTIVITY, x, 3, "{}", 2.0)))
    with pytest.raises(Conflict):
        write(store, lambda tx: tx.add_dispatch(dispatch("d", x, 4, 2.0)))
    task, found = store.get_activity_task("t"), store.get_dispatch("d")
    assert task is not None and found is not None and (task.wait_id, found.wait_id) == (1, 2)


def test_closing_a_token_is_won_once_whatever_table_holds_it(store: Store) -> None:
    x = inserted(store, "x")
    with store.transaction() as tx:
        tx.add_activity_task(ActivityTaskRecord("t1", ACTIVITY, x, 1, "{}", 1.0))
        tx.add_dispatch(dispatch("cb1", x, 2, 1.0, callback=True))
    assert write(store, lambda tx: tx.close_task("t1")) is True
    assert write(store, lambda tx: tx.close_task("t1")) is False
    assert write(store, lambda tx: tx.close_task("cb1")) is True
    assert write(store, lambda tx: tx.close_task("cb1")) is False
    assert write(store, lambda tx: tx.close_task("never")) is False
    closed = (store.get_activity_task("t1"), store.get_dispatch("cb1"))
    assert all(record is not None and record.closed for record in closed)


def test_a_close_rolled_back_leaves_the_token_open(store: Store) -> None:
    x = inserted(store, "x")
    write(store, lambda tx: tx.add_dispatch(dispatch("cb1", x, 2, 1.0, callback=True)))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        assert tx.close_task("cb1") is True
        raise RuntimeError("the batch failed")
    assert write(store, lambda tx: tx.close_task("cb1")) is True


def test_a_token_closed_by_its_wait_cannot_be_closed_again(store: Store) -> None:
    x = inserted(store, "x")
    write(store, lambda tx: tx.add_dispatch(dispatch("cb1", x, 2, 1.0, callback=True)))
    write(store, lambda tx: tx.close_tasks(x, [2]))
    assert write(store, lambda tx: tx.close_task("cb1")) is False
