"""Execution logs: each level writes exactly the events AWS's "Log levels" table lists for it, in
CloudWatch Logs' shape for Step Functions, to the file of the machine's log group."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from stepforge.asl.records import Event
from stepforge.engine.logs import ERROR_EVENTS, FATAL_EVENTS, ExecutionLogs, LogSettings, Target
from stepforge.service import executions, statemachines
from stepforge.testing import ROLE, Harness

GROUP = "/aws/vendedlogs/states/orders"
GROUP_ARN = f"arn:aws:logs:us-east-1:000000000000:log-group:{GROUP}:*"

#: Every kind of event a level may keep or drop: Task (scheduled, started, failed, caught), Parallel,
#: Map, Wait, Choice, Pass, and a Fail state that fails the execution.
BUSY = {
    "StartAt": "Work",
    "States": {
        "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:boom",
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Both", "ResultPath": "$.error"}],
                 "Next": "Both"},
        "Both": {"Type": "Parallel", "Next": "Each", "ResultPath": None, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 5, "End": True}}},
        ]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "Next": "Pick", "ResultPath": None,
                 "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}},
        "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Stop"}],
                 "Default": "Stop"},
        "Stop": {"Type": "Fail", "Error": "Nope", "Cause": "it had to fail"},
    },
}


def boom(event: Any, context: Any) -> Any:
    raise ValueError("boom")


def logged_run(tmp_path: Path, level: str, *, include_data: bool = True,
               definition: dict[str, Any] = BUSY) -> tuple[Harness, str, list[dict[str, Any]]]:
    """Run ``definition`` on a machine logging at ``level``: the harness, the execution, its log lines."""
    harness = Harness(functions={"boom": boom}, logs=ExecutionLogs(LogSettings(dir=tmp_path)))
    config: dict[str, Any] = {"level": level, "includeExecutionData": include_data}
    if level != "OFF":
        config["destinations"] = [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP_ARN}}]
    machine = harness.call(statemachines.create, name="m", definition=json.dumps(definition), roleArn=ROLE,
                           loggingConfiguration=config)["stateMachineArn"]
    arn = harness.call(executions.start, stateMachineArn=machine, input=json.dumps({"items": [1, 2], "go": True}))["executionArn"]
    harness.run_until_done(arn)
    harness.engine.logs.flush()
    return harness, arn, read_lines(tmp_path)


def read_lines(directory: Path) -> list[dict[str, Any]]:
    path = directory / "aws" / "vendedlogs" / "states" / "orders.log"
    return [json.loads(text) for text in path.read_text().splitlines()] if path.exists() else []


def test_level_all_logs_every_history_event_in_cloudwatch_shape(tmp_path: Path) -> None:
    harness, arn, lines = logged_run(tmp_path, "ALL")
    history = harness.result(arn).events
    assert [(line["id"], line["type"]) for line in lines] == [(str(e["id"]), e["type"]) for e in history]
    first = lines[0]
    assert set(first) == {"id", "type", "details", "previous_event_id", "event_timestamp", "execution_arn",
                          "redrive_count"}
    assert (first["type"], first["previous_event_id"], first["execution_arn"], first["redrive_count"]) == (
        "ExecutionStarted", "0", arn, "0")
    assert first["details"]["roleArn"] == ROLE and json.loads(first["details"]["input"]) == {"items": [1, 2], "go": True}
    assert first["event_timestamp"] == str(round(history[0]["timestamp"] * 1000))
    failed = lines[-1]
    assert (failed["type"], failed["details"]) == ("ExecutionFailed", {"error": "Nope", "cause": "it had to fail"})


def test_level_error_logs_only_the_error_events(tmp_path: Path) -> None:
    harness, arn, lines = logged_run(tmp_path, "ERROR")
    history = [e["type"] for e in harness.result(arn).events]
    assert [line["type"] for line in lines] == [t for t in history if t in ERROR_EVENTS]
    assert [line["type"] for line in lines] == ["LambdaFunctionFailed", "FailStateEntered", "ExecutionFailed"]


def test_level_fatal_logs_only_how_the_execution_failed(tmp_path: Path) -> None:
    _, _, lines = logged_run(tmp_path, "FATAL")
    assert [line["type"] for line in lines] == ["ExecutionFailed"]
    assert FATAL_EVENTS == {"ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}


def test_level_off_logs_nothing(tmp_path: Path) -> None:
    _, _, lines = logged_run(tmp_path, "OFF")
    assert lines == [] and list(tmp_path.iterdir()) == []


def test_an_execution_that_succeeds_logs_nothing_at_level_error(tmp_path: Path) -> None:
    _, _, lines = logged_run(tmp_path, "ERROR", definition={"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert lines == []


def test_without_include_execution_data_no_input_or_output_is_logged(tmp_path: Path) -> None:
    _, _, lines = logged_run(tmp_path, "ALL", include_data=False)
    assert lines and not any(key in line["details"] for line in lines for key in ("input", "output", "parameters"))
    assert lines[0]["details"] == {"inputDetails": {"truncated": False}, "roleArn": ROLE}


@pytest.mark.parametrize(("settings", "where"), [
    (lambda tmp: LogSettings(dir=tmp, groups={GROUP: str(tmp / "own.jsonl")}), "own.jsonl"),
    (lambda tmp: LogSettings(dir=tmp, stdout=True), "stdout"),
    (lambda tmp: LogSettings(dir=tmp, groups={GROUP: "-"}), "stdout"),
])
def test_a_log_group_goes_where_the_settings_say(tmp_path: Path, settings: Any, where: str) -> None:
    out = io.StringIO()
    harness = Harness(logs=ExecutionLogs(settings(tmp_path), stdout=lambda: out))
    machine = harness.call(statemachines.create, name="m", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}), loggingConfiguration={
        "level": "ALL", "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP_ARN}}]})["stateMachineArn"]
    harness.run_until_done(harness.call(executions.start, stateMachineArn=machine)["executionArn"])
    harness.engine.logs.flush()
    text = out.getvalue() if where == "stdout" else (tmp_path / where).read_text()
    assert [json.loads(t)["type"] for t in text.splitlines()] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_close_writes_every_queued_line_first(tmp_path: Path) -> None:
    logs = ExecutionLogs(LogSettings(dir=tmp_path))
    target = Target("ALL", True, "many", "arn:m")
    for n in range(1, 501):
        logs.write(target, "arn:e", [Event(n, n - 1, "PassStateEntered", 1.0, "stateEnteredEventDetails", {"n": n})])
    logs.close()
    assert [json.loads(t)["details"]["n"] for t in (tmp_path / "many.log").read_text().splitlines()] == list(
        range(1, 501))
