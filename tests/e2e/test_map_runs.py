"""Map Runs end to end: a Distributed Map's child executions, seen and steered through boto3."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def distributed(activity_arn: str, **fields: Any) -> str:
    return json.dumps({"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "Label": "Fan", "End": True, **fields,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity_arn,
                                                                 "End": True}}}}}})


def test_list_describe_and_update_a_map_run(sfn: Any, create_machine: Callable[..., str],
                                            unique_name: Callable[[str], str],
                                            wait_for_execution: Callable[..., dict[str, Any]],
                                            wait_until: Callable[..., Any]) -> None:
    activity = sfn.create_activity(name=unique_name("act"))["activityArn"]
    machine = create_machine(distributed(activity, MaxConcurrency=1))
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps([1, 2, 3]))["executionArn"]

    runs = wait_until(lambda: sfn.list_map_runs(executionArn=arn)["mapRuns"], what="a map run")
    run_arn = runs[0]["mapRunArn"]
    assert ":mapRun:" in run_arn and "/Fan:" in run_arn and runs[0]["stateMachineArn"] == machine
    counts = wait_until(lambda: _counts_if(sfn, run_arn, running=1), what="one running child")
    assert (counts["pending"], counts["total"]) == (2, 3)

    sfn.update_map_run(mapRunArn=run_arn, maxConcurrency=3, toleratedFailureCount=1)
    wait_until(lambda: _counts_if(sfn, run_arn, running=3), what="three running children")
    described = sfn.describe_map_run(mapRunArn=run_arn)
    assert (described["maxConcurrency"], described["toleratedFailureCount"]) == (3, 1)

    for _ in range(3):
        task = sfn.get_activity_task(activityArn=activity, workerName="e2e")
        sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps(json.loads(task["input"]) * 10))
    final = wait_for_execution(arn)
    assert (final["status"], json.loads(final["output"])) == ("SUCCEEDED", [10, 20, 30])

    described = sfn.describe_map_run(mapRunArn=run_arn)
    assert described["status"] == "SUCCEEDED" and described["executionArn"] == arn
    assert described["executionCounts"]["succeeded"] == 3 and described["itemCounts"]["total"] == 3
    children = sfn.list_executions(mapRunArn=run_arn)["executions"]
    assert len(children) == 3 and {c["status"] for c in children} == {"SUCCEEDED"}
    child = sfn.describe_execution(executionArn=children[0]["executionArn"])
    assert child["mapRunArn"] == run_arn
    history = sfn.get_execution_history(executionArn=arn)["events"]
    started = [e for e in history if e["type"] == "MapRunStarted"]
    assert started[0]["mapRunStartedEventDetails"]["mapRunArn"] == run_arn


def _counts_if(sfn: Any, run_arn: str, running: int) -> dict[str, Any] | None:
    counts: dict[str, Any] = sfn.describe_map_run(mapRunArn=run_arn)["executionCounts"]
    return counts if counts["running"] == running else None
