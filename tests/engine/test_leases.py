"""Several engines over one store, as the nodes of one deployment: leases, fencing, adoption, release.

Each node is a :class:`~stepforge.testing.Harness` over the shared store and one manual clock, so a
node "dies" by no longer running batches while the clock moves past its lease.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from stepforge.engine.clock import ManualClock
from stepforge.engine.lease import NodeSettings
from stepforge.store.base import Store
from stepforge.store.lock import DataDirLock, lock_data_dir
from stepforge.store.memory import MemoryStore
from stepforge.store.records import ActivityRecord
from stepforge.store.sqlite import SqliteStore
from stepforge.testing import Harness

FN = "arn:aws:lambda:us-east-1:000000000000:function:f"
TTL = 3.0
SHARED = NodeSettings(kind="engine", lease_ttl=TTL, shared=True)
TASK = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "End": True}}}


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return MemoryStore() if request.param == "memory" else SqliteStore(tmp_path)


class Node(Harness):
    """One node of the deployment; ``calls`` records the function calls it ran; ``place``, the locked
    data directory it runs on (as ``serve`` does), if any."""

    def __init__(self, store: Store, clock: ManualClock, *, finishes: bool = True,
                 place: DataDirLock | None = None) -> None:
        self.calls: list[Any] = []
        super().__init__(store=store, clock=clock, node=dataclasses.replace(SHARED, ledger=place),
                         functions={"f": lambda event, _: self.calls.append(event) or {"by": "f"}})
        if not finishes:  # its task work never returns (the node dies with it in flight)
            self.engine.dispatcher.runner.run = lambda *a, **k: None  # type: ignore[method-assign]
        self.engine.recover(clock.now())


def pass_time(clock: ManualClock, seconds: float, *live: Node) -> None:
    """Move the clock by ``seconds`` in steps of a quarter lease, the ``live`` nodes running batches."""
    steps = round(seconds / (TTL / 4))
    for _ in range(steps):
        clock.advance(TTL / 4)
        for node in live:
            node.settle()


def test_each_engine_joins_as_a_node_and_its_dispatches_name_it(store: Store) -> None:
    clock = ManualClock()
    a = Node(store, clock, finishes=False)
    clock.advance(0.5)
    b = Node(store, clock)
    assert [n.id for n in store.list_nodes()] == [a.engine.lease.node_id, b.engine.lease.node_id]
    arn = a.start(TASK, {"n": 1})
    a.settle()
    (row,) = store.open_dispatches(limit=10).items
    assert (row.execution_arn, row.owner) == (arn, a.engine.lease.node_id)
    assert [n.held for n in store.list_nodes()] == [1, 0]


def test_a_dead_nodes_task_runs_again_on_another_node_once_its_lease_expires(store: Store) -> None:
    clock = ManualClock()
    a, b = Node(store, clock, finishes=False), Node(store, clock)
    arn = a.start(TASK, {"n": 1})
    a.settle()
    pass_time(clock, TTL / 2, b)
    assert b.calls == []  # a's lease still holds: nothing of it is adopted
    pass_time(clock, TTL, b)  # a ran no batch since: its lease has expired
    result = b.result(arn)
    assert (result.status, result.output, b.calls) == ("SUCCEEDED", {"by": "f"}, [{"n": 1}])
    assert result.event_types.count("TaskStateEntered") == 1
    assert [n.id for n in store.list_nodes()] == [b.engine.lease.node_id]  # a is forgotten


def test_live_nodes_keep_their_leases_by_running_batches(store: Store) -> None:
    clock = ManualClock()
    a, b = Node(store, clock, finishes=False), Node(store, clock)
    a.start(TASK)
    a.settle()
    pass_time(clock, TTL * 4, a, b)  # idle batches renew once a third of the lease has passed
    assert b.calls == []
    assert {n.id: n.held for n in store.list_nodes()} == {a.engine.lease.node_id: 1, b.engine.lease.node_id: 0}


def test_a_node_that_lost_its_lease_cannot_commit_and_joins_again(store: Store) -> None:
    clock = ManualClock()
    a, b = Node(store, clock), Node(store, clock)
    first = a.engine.lease.node_id
    pass_time(clock, TTL * 2, b)  # a runs nothing meanwhile: its lease expires
    arn = a.start(TASK, {"n": 2})  # an API write, committed on its own
    a.settle()  # the batch that runs it finds the lease lost: rolled back whole; a joins again and redoes it
    assert a.engine.lease.node_id not in (None, first)
    result = a.result(arn)
    assert (result.status, a.calls) == ("SUCCEEDED", [{"n": 2}])
    assert result.event_types.count("LambdaFunctionScheduled") == 1
    assert {n.id for n in store.list_nodes()} == {a.engine.lease.node_id, b.engine.lease.node_id}


def test_stopping_releases_the_lease_and_another_node_adopts_at_once(store: Store) -> None:
    clock = ManualClock()
    a, b = Node(store, clock, finishes=False), Node(store, clock)
    arn = a.start(TASK, {"n": 3})
    a.settle()
    a.engine.stop()
    pass_time(clock, TTL / 2, b)  # b's next look for dead nodes' work, well within a's lease
    assert b.result(arn).status == "SUCCEEDED" and b.calls == [{"n": 3}]


def test_api_writes_of_a_fenced_batch_commit_with_the_next_one(store: Store) -> None:
    clock = ManualClock()
    a, b = Node(store, clock), Node(store, clock)
    first = a.engine.lease.node_id
    pass_time(clock, TTL * 2, b)  # a's lease expires
    activity = ActivityRecord("arn:aws:states:us-east-1:000000000000:activity:kept", "kept", clock.now())

    async def write_through_a() -> str:
        written = asyncio.ensure_future(a.engine.writes.submit(lambda tx: tx.put_activity(activity) or "stored"))
        await asyncio.sleep(0)  # queued
        await asyncio.get_running_loop().run_in_executor(None, a.settle)
        return str(await written)

    with concurrent.futures.ThreadPoolExecutor(1) as thread:  # a loop of its own, whatever this thread runs
        assert thread.submit(asyncio.run, write_through_a()).result() == "stored"  # the write ran again
    assert a.engine.lease.node_id != first and store.get_activity(activity.arn) == activity


def test_a_node_restarted_on_its_data_directory_adopts_its_own_work_at_once(store: Store, tmp_path: Path) -> None:
    clock = ManualClock()
    place = lock_data_dir(tmp_path / "node-a")
    a, b = Node(store, clock, finishes=False, place=place), Node(store, clock)
    arn = a.start(TASK, {"n": 4})
    a.settle()
    place.release()  # a's process dies (SIGKILL): the kernel lets its lock go, a's lease still holds
    again = Node(store, clock, place=lock_data_dir(tmp_path / "node-a"))  # a new process on a's directory
    again.settle()
    assert again.result(arn).status == "SUCCEEDED" and again.calls == [{"n": 4}] and b.calls == []
    live = {n.id for n in store.list_nodes() if n.lease_expires > clock.now()}
    assert live == {again.engine.lease.node_id, b.engine.lease.node_id}


def test_a_node_on_a_new_data_directory_ends_no_lease_but_its_own_predecessors(store: Store, tmp_path: Path) -> None:
    clock = ManualClock()
    a = Node(store, clock, finishes=False, place=lock_data_dir(tmp_path / "node-a"))
    arn = a.start(TASK, {"n": 5})
    a.settle()
    other = Node(store, clock, place=lock_data_dir(tmp_path / "node-b"))
    other.settle()
    assert other.calls == [] and a.engine.lease.node_id in {n.id for n in store.list_nodes()}
    pass_time(clock, TTL * 2, other)  # a, dead, runs no batch: its lease expires, and only then
    assert other.result(arn).status == "SUCCEEDED" and other.calls == [{"n": 5}]
