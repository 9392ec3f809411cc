"""Recording the ends of a Map Run's children: a batch that cannot record them (another node holds
the Map Run's row past the lock timeout, or a bug) records them in a later batch, each item once;
they are never left RUNNING while their node lives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from stepforge.service import maprun
from stepforge.store import postgres_db
from stepforge.store.memory import MemoryStore
from stepforge.store.postgres import PostgresStore
from stepforge.tasks import maprun as runs
from stepforge.testing import Harness

WAIT_10 = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}


def machine(execution_type: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, **fields, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type}, **WAIT_10}}}}


def counts(h: Harness, arn: str) -> dict[str, int]:
    run_arn = h.call(maprun.list_, executionArn=arn)["mapRuns"][0]["mapRunArn"]
    return dict(h.call(maprun.describe, mapRunArn=run_arn)["executionCounts"])


def end_children(h: Harness) -> None:
    """The children's Wait ends: EXPRESS ones in memory, stored ones by their timers (one batch)."""
    h.clock.advance(10)
    h.engine.express.fire_due(h.clock.now())


@pytest.fixture
def locking_store(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[PostgresStore]:
    """A PostgreSQL store whose transactions wait a moment (not 10 s) for a row another node holds."""
    monkeypatch.setitem(postgres_db.SESSION, "lock_timeout", "200ms")
    store = PostgresStore(postgres_url)
    yield store
    store.close()


@pytest.mark.parametrize("execution_type", ["EXPRESS", "STANDARD"])
def test_children_whose_map_run_row_another_node_holds_are_recorded_by_a_later_batch(
        locking_store: PostgresStore, postgres_url: str, execution_type: str) -> None:
    h = Harness(store=locking_store)
    arn = h.start(machine(execution_type), [1, 2, 3])
    h.settle()
    assert counts(h, arn)["running"] == 3
    end_children(h)
    with psycopg.connect(postgres_url) as other, other.transaction():  # another node holds the run's row
        other.execute("SELECT body FROM map_runs FOR UPDATE").fetchall()
        h.engine.run_once(h.clock.now())  # the children end; recording them times out on the lock
    assert counts(h, arn)["running"] == 3
    h.settle()  # the row is free: a later batch records them
    found = counts(h, arn)
    assert (found["running"], found["succeeded"], found["total"]) == (0, 3, 3)
    result = h.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", [1, 2, 3])


def test_a_bug_recording_one_map_run_holds_up_neither_the_others_nor_its_own_next_try(
        monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness(store=MemoryStore())
    first, second = h.start(machine("EXPRESS"), [1, 2]), h.start(machine("EXPRESS"), [3])
    h.settle()
    end_children(h)
    broken = h.call(maprun.list_, executionArn=first)["mapRuns"][0]["mapRunArn"]
    record = runs._record_ended
    failures = []

    def once_broken(tx: Any, run_arn: str, *args: Any) -> None:
        if run_arn == broken and not failures:
            failures.append(run_arn)
            raise RuntimeError("a bug")
        record(tx, run_arn, *args)

    monkeypatch.setattr(runs, "_record_ended", once_broken)
    h.engine.run_once(h.clock.now())
    assert failures == [broken]
    assert (counts(h, first)["running"], counts(h, second)["succeeded"]) == (2, 1)
    h.settle()
    assert (counts(h, first)["succeeded"], counts(h, first)["running"]) == (2, 0)
    assert (h.result(first).status, h.result(first).output) == ("SUCCEEDED", [1, 2])
