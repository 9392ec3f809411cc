"""``stepforge db check`` finds what does not agree: histories, statuses, open tasks, Map Run counts."""

from __future__ import annotations

from store_samples import execution, inserted, map_run

from stepforge.asl.records import Event
from stepforge.store.base import Store
from stepforge.store.check import check_store
from stepforge.store.records import ChildWatchRecord, DispatchRecord
from stepforge.testing import write


def ended(store: Store, name: str) -> str:
    record = execution(name, status="SUCCEEDED")
    write(store, lambda tx: tx.insert_execution(record))
    write(store, lambda tx: tx.append_events(record.arn, [Event(1, 0, "ExecutionStarted", 1.0), Event(2, 1, "ExecutionSucceeded", 2.0)]))
    record.event_count = 2
    write(store, lambda tx: tx.update_execution(record))
    return record.arn


def test_a_consistent_store_has_no_problems(store: Store) -> None:
    ended(store, "done")
    running = inserted(store, "running")
    write(store, lambda tx: tx.push_signal(running, None))
    report = check_store(store)
    assert (report.executions, report.problems) == (2, [])


def test_a_running_execution_with_nothing_to_wait_on_is_lost_work(store: Store) -> None:
    arn = inserted(store, "stuck")
    assert check_store(store).problems == [f"{arn}: RUNNING with nothing to wait on (lost work)"]


def test_tasks_still_open_for_an_ended_execution_are_reported(store: Store) -> None:
    done, child = ended(store, "done"), ended(store, "child")
    write(store, lambda tx: tx.add_dispatch(DispatchRecord("d" * 20, done, 1, "arn:aws:lambda:f", "S", "", "{}", 1.0)))
    write(store, lambda tx: tx.add_child_watch(ChildWatchRecord(child, done, 2, "sync", 1.0)))
    problems = check_store(store).problems
    assert any("still watches a child" in p for p in problems)
    assert any("dispatch" in p and "is open but the execution is SUCCEEDED" in p for p in problems)


def test_map_run_counts_must_match_its_items(store: Store) -> None:
    parent = inserted(store, "parent")
    write(store, lambda tx: tx.push_signal(parent, None))
    run = map_run("l", parent)
    write(store, lambda tx: tx.insert_map_run(run, ["1", "2"]))  # the sample counts 3 pending items
    problems = check_store(store).problems
    assert len(problems) == 1 and problems[0].startswith(f"{run.arn}: counts")


def test_map_run_item_times_must_agree_with_their_status(store: Store) -> None:
    parent = inserted(store, "parent")
    write(store, lambda tx: tx.push_signal(parent, None))
    run = map_run("l", parent)
    write(store, lambda tx: tx.insert_map_run(run, ["1", "2", "3"]))
    first, second, third = store.map_run_items(run.arn, limit=10)
    first.started = 5.0                                              # pending, yet started
    second.status, second.started, second.stopped = "RUNNING", 5.0, 6.0  # running, yet stopped
    third.status, third.started, third.stopped = "SUCCEEDED", 6.0, 5.0   # stopped before it started
    run.execution_counts.update(pending=1, running=1, succeeded=1)
    write(store, lambda tx: [tx.update_map_run_item(item) for item in (first, second, third)]
          + [tx.update_map_run(run)])
    problems = check_store(store).problems
    assert problems == [f"{run.arn}: item 0 (PENDING) has a start or stop time but never started",
                        f"{run.arn}: item 1 (RUNNING) has a stop time",
                        f"{run.arn}: item 2 (SUCCEEDED) stopped before it started"]
