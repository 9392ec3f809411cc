"""RedriveExecution of a parent whose Distributed Map failed redrives its Map Run: only the items
that failed, were aborted or never started run again; the rest keep their results."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from stepforge.service import maprun as maprun_service
from stepforge.service import redrive
from stepforge.store.sqlite import SqliteStore
from stepforge.testing import Harness

FLAKY = "arn:aws:lambda:us-east-1:000000000000:function:flaky"


class Flaky:
    """A Python function that fails the first time it sees the value 2."""

    def __init__(self) -> None:
        self.seen: Counter[int] = Counter()

    def __call__(self, event: Any, context: Any) -> Any:
        self.seen[event] += 1
        if event == 2 and self.seen[event] == 1:
            raise RuntimeError("two fails once")
        return event * 10


def machine(execution_type: str = "STANDARD") -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "MaxConcurrency": 1, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
        "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FLAKY, "End": True}}}}}}


@pytest.mark.parametrize(("backend", "execution_type"),
                         [("memory", "STANDARD"), ("sqlite", "STANDARD"), ("sqlite", "EXPRESS")])
def test_redrive_runs_only_the_items_that_did_not_succeed(backend: str, execution_type: str, tmp_path: Path) -> None:
    flaky = Flaky()
    harness = Harness(functions={"flaky": flaky}, **({"store": SqliteStore(tmp_path)} if backend == "sqlite" else {}))
    arn = harness.start(machine(execution_type), list(range(5)))
    first = harness.run_until_done(arn)
    assert (first.status, first.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    run_arn = first.details("MapRunStarted")[0]["mapRunArn"]
    before = harness.call(maprun_service.describe, mapRunArn=run_arn)
    assert before["status"] == "FAILED" and before["itemCounts"]["pending"] == 2

    harness.call(redrive.redrive_execution, executionArn=arn)
    result = harness.run_until_done(arn)
    assert (result.status, result.output) == ("SUCCEEDED", [0, 10, 20, 30, 40])
    assert flaky.seen == Counter({0: 1, 1: 1, 2: 2, 3: 1, 4: 1})
    assert result.details("MapRunRedriven") == [{"mapRunArn": run_arn, "redriveCount": 1}]
    after = harness.call(maprun_service.describe, mapRunArn=run_arn)
    assert (after["status"], after["redriveCount"]) == ("SUCCEEDED", 1)
    counts = after["itemCounts"]
    assert (counts["succeeded"], counts["failed"], counts["pending"], counts["total"]) == (5, 0, 0, 5)
