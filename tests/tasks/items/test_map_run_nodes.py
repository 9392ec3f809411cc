"""Two nodes on one PostgreSQL database: one node at a time reads a Map Run's items (its claim, under
its lease); another takes the reading over once that node's lease has ended, and the node that lost
the claim commits nothing more."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stepforge.engine.clock import ManualClock
from stepforge.engine.lease import NodeSettings
from stepforge.store.postgres import PostgresStore
from stepforge.store.records import MapRunRecord
from stepforge.tasks import maprun_io
from stepforge.testing import Harness, write
from tests.tasks.items.conftest import local_place
from tests.tasks.items.test_batches_and_results import dmap, jsonl

SHARED = NodeSettings(lease_ttl=60.0, shared=True)
ITEMS = 7


@pytest.fixture
def nodes(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Harness, Harness]]:
    place = local_place(tmp_path / "media")
    place.put("items.jsonl", jsonl(list(range(ITEMS))))
    clock = ManualClock()
    a, b = (Harness(store=PostgresStore(postgres_url), clock=clock, node=SHARED, tasks=place.tasks) for _ in "ab")
    for harness in (a, b):
        harness.engine.recover(clock.now())  # joins: the node whose claims are its own
    yield a, b
    a.store.close()
    b.store.close()


def _run(harness: Harness, arn: str) -> MapRunRecord:
    found = harness.store.list_map_runs(arn, limit=1).items
    assert found
    return found[0]


def _rows(harness: Harness, run: MapRunRecord) -> list[int]:
    return [item.index for item in harness.store.map_run_items(run.arn, limit=100)]


def test_one_node_reads_a_map_run_and_another_takes_over_once_its_lease_ends(
        nodes: tuple[Harness, Harness], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = nodes
    monkeypatch.setattr(maprun_io, "CHUNK", 2)
    reading_on_a = []
    with monkeypatch.context() as patch:  # node A claims the run and is still reading when B looks
        patch.setattr(a.engine.dispatcher.items, "_read", reading_on_a.append)
        arn = a.start(dmap(), {"bucket": "media"})
        a.settle()
    run = _run(a, arn)
    assert (run.phase, run.io_node, len(reading_on_a)) == ("READING", a.engine.lease.node_id, 3)

    b.engine.dispatcher.items.recover()  # as B does at start-up and whenever nodes may have died
    assert _rows(b, run) == [] and _run(b, arn).io_node == a.engine.lease.node_id  # A is alive: B keeps off

    write(a.store, lambda tx: tx.release_node(a.engine.lease.node_id or "", time.time()))  # A's lease ends
    b.engine.dispatcher.items.recover()
    assert _rows(b, run) == list(range(ITEMS)) and _run(b, arn).io_node == b.engine.lease.node_id

    a.engine.dispatcher.items._read(run)  # A wakes up with what it read before: it commits nothing more
    assert _rows(a, run) == list(range(ITEMS))

    result = b.run_until_done(arn)
    assert (result.status, result.output) == ("SUCCEEDED", list(range(ITEMS)))
