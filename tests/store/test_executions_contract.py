"""Contract: executions (frames, filters, keyset pages) and their history."""

from __future__ import annotations

import pytest
from store_samples import MACHINE, execution

from stepforge.asl.records import Event, Frame, Run, Wait
from stepforge.store.base import Conflict, ExecutionQuery, Store
from stepforge.testing import write

BY_MACHINE = ExecutionQuery(state_machine_arn=MACHINE)


def names(store: Store, query: ExecutionQuery, limit: int = 100) -> list[str]:
    return [r.name for r in store.list_executions(query, limit=limit).items]


def test_an_execution_keeps_its_run_across_updates(store: Store) -> None:
    record = execution("e1")
    write(store, lambda tx: tx.insert_execution(record))
    record.run = Run(frames={0: Frame(id=0, address=(("M", 2),), state="W", input={"a": [1]},
                                      attempts={0: 1}, wait=Wait(3, "children", map_run_arn="mr"))},
                     next_frame_id=1, next_wait_id=4)
    record.event_count = 2
    write(store, lambda tx: tx.update_execution(record))
    loaded = store.get_execution(record.arn)
    assert loaded is not None
    assert loaded.run == record.run
    assert (loaded.event_count, loaded.definition) == (2, '{"StartAt":"P"}')


def test_an_arn_is_inserted_once(store: Store) -> None:
    write(store, lambda tx: tx.insert_execution(execution("once")))
    with pytest.raises(Conflict):
        write(store, lambda tx: tx.insert_execution(execution("once", started=2.0)))
    found = store.get_execution(execution("once").arn)
    assert found is not None and found.started == 1.0


def test_executions_list_newest_first_and_filter_by_status(store: Store) -> None:
    with store.transaction() as tx:
        for index, status in enumerate(["SUCCEEDED", "RUNNING", "FAILED"]):
            tx.insert_execution(execution(f"e{index}", started=float(index), status=status))
    assert names(store, BY_MACHINE) == ["e2", "e1", "e0"]
    assert names(store, ExecutionQuery(state_machine_arn=MACHINE, status="RUNNING")) == ["e1"]
    assert store.count_open_executions() == 1


def test_executions_started_together_list_newest_inserted_first(store: Store) -> None:
    with store.transaction() as tx:
        for index in range(3):
            tx.insert_execution(execution(f"same{index}", started=5.0))
    assert names(store, BY_MACHINE) == ["same2", "same1", "same0"]


def test_execution_pages_follow_their_cursor_whatever_is_inserted_meanwhile(store: Store) -> None:
    with store.transaction() as tx:
        for index in range(5):
            tx.insert_execution(execution(f"e{index}", started=float(index)))
    first = store.list_executions(BY_MACHINE, limit=2)
    assert [r.name for r in first.items] == ["e4", "e3"] and first.next is not None
    write(store, lambda tx: tx.insert_execution(execution("newer", started=10.0)))
    second = store.list_executions(BY_MACHINE, after=first.next, limit=2)
    assert [r.name for r in second.items] == ["e2", "e1"]
    third = store.list_executions(BY_MACHINE, after=second.next, limit=2)
    assert [r.name for r in third.items] == ["e0"] and third.next is None


def test_a_full_last_page_has_no_cursor(store: Store) -> None:
    with store.transaction() as tx:
        for index in range(2):
            tx.insert_execution(execution(f"e{index}", started=float(index)))
    assert store.list_executions(BY_MACHINE, limit=2).next is None


def test_executions_filter_by_version_alias_map_run_and_redrive(store: Store) -> None:
    plain, versioned, aliased, child = (execution(n, started=float(i)) for i, n in
                                        enumerate(["plain", "versioned", "aliased", "child"]))
    versioned.version_arn, aliased.alias_arn, child.map_run_arn = f"{MACHINE}:1", f"{MACHINE}:live", "mr"
    child.state_machine_arn = f"{MACHINE}/Map"
    with store.transaction() as tx:
        for record in (plain, versioned, aliased, child):
            tx.insert_execution(record)
    aliased.redrive_count = 1
    write(store, lambda tx: tx.update_execution(aliased))
    assert names(store, ExecutionQuery(state_machine_arn=MACHINE, version_arn=f"{MACHINE}:1")) == ["versioned"]
    assert names(store, ExecutionQuery(state_machine_arn=MACHINE, alias_arn=f"{MACHINE}:live")) == ["aliased"]
    assert names(store, ExecutionQuery(map_run_arn="mr")) == ["child"]
    assert names(store, ExecutionQuery(state_machine_arn=MACHINE, redriven=True)) == ["aliased"]
    assert names(store, ExecutionQuery(state_machine_arn=MACHINE, redriven=False)) == ["versioned", "plain"]
    assert names(store, ExecutionQuery()) == ["child", "aliased", "versioned", "plain"]


def test_executions_keep_version_alias_and_redrive_fields(store: Store) -> None:
    record = execution("v")
    record.version_arn, record.alias_arn, record.map_run_arn = f"{MACHINE}:1", f"{MACHINE}:a", "mr"
    write(store, lambda tx: tx.insert_execution(record))
    record.redrive_count, record.redrive_date = 2, 5.0
    write(store, lambda tx: tx.update_execution(record))
    loaded = store.get_execution(record.arn, with_run=False)
    assert loaded is not None
    assert (loaded.version_arn, loaded.alias_arn, loaded.map_run_arn) == (f"{MACHINE}:1", f"{MACHINE}:a", "mr")
    assert (loaded.redrive_count, loaded.redrive_date) == (2, 5.0)


def test_events_append_and_read_after_an_id_both_ways(store: Store) -> None:
    record = execution("h")
    write(store, lambda tx: tx.insert_execution(record))
    events = [Event(i, i - 1, "PassStateEntered", 1.0, "stateEnteredEventDetails", {"name": str(i)})
              for i in range(1, 6)]
    write(store, lambda tx: tx.append_events(record.arn, events[:2]))
    write(store, lambda tx: tx.append_events(record.arn, events[2:]))
    assert store.get_events(record.arn) == events
    assert [e.id for e in store.get_events(record.arn, 1, 2)] == [2, 3]
    assert [e.id for e in store.get_events(record.arn, 4)] == [5]
    assert store.get_events(record.arn, 5) == []
    assert [e.id for e in store.get_events(record.arn, 0, 2, reverse=True)] == [5, 4]
    assert [e.id for e in store.get_events(record.arn, 4, 2, reverse=True)] == [3, 2]
    assert [e.id for e in store.get_events(record.arn, 2, reverse=True)] == [1]
    assert store.get_events(record.arn, 1, reverse=True) == []


def test_pages_split_executions_started_together(store: Store) -> None:
    with store.transaction() as tx:
        for index in range(5):
            tx.insert_execution(execution(f"same{index}", started=5.0))
    first = store.list_executions(BY_MACHINE, limit=2)
    second = store.list_executions(BY_MACHINE, after=first.next, limit=2)
    third = store.list_executions(BY_MACHINE, after=second.next, limit=2)
    assert [r.name for r in first.items + second.items + third.items] == [f"same{i}" for i in range(4, -1, -1)]
    status = ExecutionQuery(state_machine_arn=MACHINE, status="RUNNING")
    page = store.list_executions(status, after=first.next, limit=10)
    assert [r.name for r in page.items] == ["same2", "same1", "same0"]


def test_executions_filter_by_name_ascii_case_insensitively(store: Store) -> None:
    with store.transaction() as tx:
        for index, name in enumerate(["Order-42", "order-7", "refund-42", "ÉTÉ-42", "été-42", "100%_off"]):
            tx.insert_execution(execution(name, started=float(index)))
    assert names(store, ExecutionQuery(state_machine_arn=MACHINE, name_contains="ORDER")) == ["order-7", "Order-42"]
    assert names(store, ExecutionQuery(name_contains="-42")) == ["été-42", "ÉTÉ-42", "refund-42", "Order-42"]
    assert names(store, ExecutionQuery(name_contains="été")) == ["été-42"]
    assert names(store, ExecutionQuery(name_contains="%_")) == ["100%_off"]
    assert names(store, ExecutionQuery(name_contains="_x")) == []


def test_executions_filter_by_start_time_with_inclusive_bounds(store: Store) -> None:
    with store.transaction() as tx:
        for index in range(6):
            tx.insert_execution(execution(f"e{index}", started=float(index)))
    assert names(store, ExecutionQuery(state_machine_arn=MACHINE, started_from=2.0, started_to=4.0)) \
        == ["e4", "e3", "e2"]
    assert names(store, ExecutionQuery(started_from=4.5)) == ["e5"]
    assert names(store, ExecutionQuery(started_to=0.0)) == ["e0"]
    assert names(store, ExecutionQuery(started_from=3.0, started_to=2.0)) == []


def test_filtered_pages_follow_their_cursor(store: Store) -> None:
    with store.transaction() as tx:
        for index in range(12):
            status = "FAILED" if index % 2 else "SUCCEEDED"
            tx.insert_execution(execution(f"{'hit' if index % 3 else 'miss'}-{index}", started=float(index),
                                          status=status))
    query = ExecutionQuery(status="FAILED", name_contains="HIT", started_from=1.0, started_to=10.0)
    seen, cursor, pages = [], None, 0
    while True:
        page = store.list_executions(query, after=cursor, limit=2)
        seen += [r.name for r in page.items]
        pages += 1
        if page.next is None:
            break
        cursor = page.next
    assert (seen, pages) == (["hit-7", "hit-5", "hit-1"], 2)


def test_filters_combine_with_machine_and_status(store: Store) -> None:
    other = f"{MACHINE}-other"
    runs = [(MACHINE, "FAILED"), (other, "FAILED"), (MACHINE, "RUNNING"), (MACHINE, "FAILED")]
    with store.transaction() as tx:
        for index, (machine_arn, status) in enumerate(runs):
            tx.insert_execution(execution(f"run-{index}", started=float(index), status=status, machine=machine_arn))
    query = ExecutionQuery(state_machine_arn=MACHINE, status="FAILED", name_contains="RUN", started_from=0.5)
    assert names(store, query) == ["run-3"]
    assert names(store, ExecutionQuery(status="FAILED", started_to=1.0)) == ["run-1", "run-0"]


def test_executions_inserted_together_are_stored_as_inserted_one_by_one(store: Store) -> None:
    records = [execution(f"batch{index}", started=5.0, status=status)
               for index, status in enumerate(["SUCCEEDED", "RUNNING", "FAILED"])]
    records[0].output, records[0].event_count, records[0].stopped = '{"ok":1}', 4, 6.0
    with store.transaction() as tx:
        tx.insert_executions(records)
        tx.append_events(records[0].arn, [Event(1, 0, "ExecutionStarted", 5.0, None, None)])
    assert names(store, BY_MACHINE) == ["batch2", "batch1", "batch0"]  # newest inserted first, as one by one
    assert [store.get_execution(r.arn) for r in records] == records
    assert [e.type for e in store.get_events(records[0].arn)] == ["ExecutionStarted"]
    assert store.count_open_executions() == 1
