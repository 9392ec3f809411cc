"""Map Run items as rows: launched a page of pending rows at a time, results read back in item order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stepforge.service import maprun as maprun_service
from stepforge.store.sqlite import SqliteStore
from stepforge.tasks import maprun
from stepforge.testing import Harness

FAIL_ODD = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.odd", "BooleanEquals": True, "Next": "F"}], "Default": "P"},
    "F": {"Type": "Fail", "Error": "Odd", "Cause": "odd item"},
    "P": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "End": True}}}


def machine(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, **fields, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **FAIL_ODD}}}}


@pytest.fixture(params=["memory", "sqlite"])
def harness(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Harness:
    monkeypatch.setattr(maprun, "PAGE", 2)  # every read of item rows spans several pages
    return Harness() if request.param == "memory" else Harness(store=SqliteStore(tmp_path))


@pytest.mark.parametrize("concurrency", [0, 3])
def test_items_launch_page_by_page_and_results_come_back_in_item_order(harness: Harness, concurrency: int) -> None:
    items = [{"n": n, "odd": n == 3} for n in range(7)]
    result = harness.run(machine(MaxConcurrency=concurrency, ToleratedFailureCount=1), items)
    assert result.status == "SUCCEEDED"
    assert result.output[:3] == [{"n": 0}, {"n": 1}, {"n": 2}] and result.output[4:] == [{"n": n} for n in range(4, 7)]
    assert result.output[3] == {"Error": "Odd", "Cause": "odd item"}
    run_arn = result.details("MapRunStarted")[0]["mapRunArn"]
    counts = harness.call(maprun_service.describe, mapRunArn=run_arn)["itemCounts"]
    assert (counts["succeeded"], counts["failed"], counts["pending"], counts["resultsWritten"]) == (6, 1, 0, 6)
    rows = harness.store.map_run_items(run_arn, limit=10)
    assert [row.status for row in rows] == ["SUCCEEDED"] * 3 + ["FAILED"] + ["SUCCEEDED"] * 3


def test_a_run_past_its_tolerated_failures_stops_every_running_child(harness: Harness) -> None:
    activity = harness.create_activity("slow")
    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}}
    arn = harness.start({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **processor}}}}, list(range(5)))
    harness.settle()
    token, _ = harness.poll(activity) or ("", None)
    harness.fail(token, "Broken")
    result = harness.run_until_done(arn)
    assert (result.status, result.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    run_arn = result.details("MapRunStarted")[0]["mapRunArn"]
    harness.settle()
    statuses = [row.status for row in harness.store.map_run_items(run_arn, limit=10)]
    assert sorted(statuses) == ["ABORTED"] * 4 + ["FAILED"]
    counts = harness.call(maprun_service.describe, mapRunArn=run_arn)["itemCounts"]
    assert (counts["aborted"], counts["failed"], counts["running"]) == (4, 1, 0)
