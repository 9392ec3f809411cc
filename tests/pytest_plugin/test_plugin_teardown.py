"""A closed workbench is freed by reference counting: each test's engine, store and runs go when the
fixture ends, leaving nothing for Python's cyclic collector to find (whose full passes walk the whole
heap, a cost every later test would pay)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from stepforge.pytest_plugin import Return, StepForge, Throw

FN = "arn:aws:lambda:us-east-1:000000000000:function:work"


def machine() -> dict[str, Any]:
    """A retried Task, a Wait, then a Parallel whose branches call the same resource."""
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Task", "Resource": FN, "End": True}}}
    return {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": FN, "Next": "Rest",
                 "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 30, "MaxAttempts": 3}]},
        "Rest": {"Type": "Wait", "Seconds": 86400, "Next": "Both"},
        "Both": {"Type": "Parallel", "Branches": [branch("Left"), branch("Right")], "End": True}}}


@pytest.fixture
def no_collector() -> Iterator[None]:
    """The cyclic collector off, so that only reference counting can free what the test lets go."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_closed_workbench_is_freed_by_reference_counting(no_collector: None) -> None:
    bench = StepForge()
    bench.mock("Work", Throw("Busy"), Return({"ok": True}))
    bench.mock(FN, Return({"branch": True}))
    run = bench.load(machine(), name="teardown").run({})
    assert run.path == ["Work", "Rest", "Both", "Left", "Right"] and run.retried == {"Work": 1}
    parts = [bench, bench.harness, bench.harness.engine, bench.harness.engine.dispatcher, bench.harness.store,
             bench.mocks, run, run.visits[0]]
    alive = [weakref.ref(part) for part in parts]
    bench.close()
    del bench, run, parts
    assert [ref() for ref in alive] == [None] * len(alive)


def test_a_run_read_after_its_workbench_closed_still_tells_its_outcome() -> None:
    bench = StepForge()
    bench.mock("Work", Return({"ok": True}))
    bench.mock(FN, Return({}))
    run = bench.load(machine(), name="teardown").run({})
    bench.close()
    assert run.status == "SUCCEEDED" and run.path == ["Work", "Rest", "Both", "Left", "Right"]
