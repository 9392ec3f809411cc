"""Contract: Map Runs and their items, one row per item."""

from __future__ import annotations

import pytest
from store_samples import inserted, map_run

from stepforge.store.base import Conflict, Store
from stepforge.store.records import MapRunItem
from stepforge.testing import write


def test_map_runs_round_trip(store: Store) -> None:
    parent = inserted(store, "parent")
    run = map_run("l", parent)
    write(store, lambda tx: tx.insert_map_run(run, ["1", "2", "3"]))
    assert store.get_map_run(run.arn) == run
    run.status, run.item_counts["running"] = "SUCCEEDED", 1
    write(store, lambda tx: tx.update_map_run(run))
    assert store.get_map_run(run.arn) == run
    assert store.list_map_runs(parent, limit=10).items == [run]
    assert store.list_map_runs("y", limit=10).items == []


def test_a_map_run_is_inserted_once(store: Store) -> None:
    run = map_run("l", inserted(store, "parent"))
    write(store, lambda tx: tx.insert_map_run(run, ["1"]))
    with pytest.raises(Conflict):
        write(store, lambda tx: tx.insert_map_run(run, ["2", "3"]))
    assert [i.input for i in store.map_run_items(run.arn, limit=10)] == ["1"]


def test_map_runs_page_oldest_first(store: Store) -> None:
    parent = inserted(store, "parent")
    with store.transaction() as tx:
        for index in range(3):
            tx.insert_map_run(map_run(f"l{index}", parent, started=float(3 - index)), [])
    first = store.list_map_runs(parent, limit=2)
    second = store.list_map_runs(parent, after=first.next, limit=2)
    assert [r.arn.split("/")[1] for r in first.items + second.items] == ["l2:1", "l1:1", "l0:1"]
    assert second.next is None


def test_items_start_pending_in_index_order(store: Store) -> None:
    run = map_run("l", inserted(store, "parent"))
    write(store, lambda tx: tx.insert_map_run(run, [f'{{"n":{n}}}' for n in range(5)]))
    items = store.map_run_items(run.arn, limit=3)
    assert items == [MapRunItem(run.arn, n, f'{{"n":{n}}}') for n in range(3)]
    assert [i.index for i in store.map_run_items(run.arn, after=2, limit=10)] == [3, 4]


def test_items_record_their_child_and_result(store: Store) -> None:
    run = map_run("l", inserted(store, "parent"))
    write(store, lambda tx: tx.insert_map_run(run, ["1", "2", "3"]))
    first, second = store.map_run_items(run.arn, limit=2)
    first.child_arn, first.status = "child-0", "RUNNING"
    second.child_arn, second.status, second.result = "child-1", "SUCCEEDED", '{"ok":true}'
    write(store, lambda tx: tx.update_map_run_item(first))
    write(store, lambda tx: tx.update_map_run_item(second))
    assert store.map_run_item_of("child-1") == second
    assert store.map_run_item_of("nobody") is None
    assert [i.index for i in store.map_run_items(run.arn, status="PENDING", limit=10)] == [2]
    assert [i.index for i in store.map_run_items(run.arn, status="RUNNING", limit=10)] == [0]


def test_a_running_map_run_is_work_its_execution_waits_on(store: Store) -> None:
    parent = inserted(store, "parent")
    run = map_run("l", parent)
    write(store, lambda tx: tx.insert_map_run(run, ["1"]))
    assert store.pending_work(parent) == 1
    run.status = "SUCCEEDED"
    write(store, lambda tx: tx.update_map_run(run))
    assert store.pending_work(parent) == 0


def test_items_are_appended_a_chunk_at_a_time(store: Store) -> None:
    run = map_run("l", inserted(store, "parent"))
    write(store, lambda tx: tx.insert_map_run(run, []))
    write(store, lambda tx: tx.add_map_run_items(run.arn, 0, ["a", "b"]))
    write(store, lambda tx: tx.add_map_run_items(run.arn, 2, ["c"]))
    assert [(i.index, i.input, i.status) for i in store.map_run_items(run.arn, limit=10)] == [
        (0, "a", "PENDING"), (1, "b", "PENDING"), (2, "c", "PENDING")]


def test_a_chunk_rolled_back_leaves_no_item(store: Store) -> None:
    run = map_run("l", inserted(store, "parent"))
    write(store, lambda tx: tx.insert_map_run(run, ["a"]))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.add_map_run_items(run.arn, 1, ["b", "c"])
        raise RuntimeError("the reader failed")
    assert [i.input for i in store.map_run_items(run.arn, limit=10)] == ["a"]


def test_running_map_runs_are_those_still_running(store: Store) -> None:
    parent = inserted(store, "parent")
    running, ended = map_run("a", parent), map_run("b", parent)
    ended.status = "SUCCEEDED"
    with store.transaction() as tx:
        tx.insert_map_run(running, [])
        tx.insert_map_run(ended, [])
    assert [r.arn for r in store.running_map_runs()] == [running.arn]
