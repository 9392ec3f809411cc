"""EXPRESS executions run in memory on the same interpreter: nothing in the store, everything in the logs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from stepforge.asl.execution.interpreter import Interpreter
from stepforge.engine.express import MAX_SECONDS
from stepforge.engine.logs import ExecutionLogs, LogSettings
from stepforge.service import executions, express, statemachines
from stepforge.service.context import Request
from stepforge.store.records import ExecutionRecord
from stepforge.store.sqlite import FILE_NAME, SqliteStore
from stepforge.testing import ROLE, Harness

GROUP_ARN = "arn:aws:logs:us-east-1:000000000000:log-group:express:*"
LOGGING = {"level": "ALL", "includeExecutionData": True,
           "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": GROUP_ARN}}]}
#: Five states: Pass, a Python function Task, Choice, Wait, Succeed.
FIVE = {"StartAt": "Shape", "States": {
    "Shape": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "Double"},
    "Double": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:double", "Next": "Big"},
    "Big": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Done"}],
            "Default": "Nap"},
    "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Done"},
    "Done": {"Type": "Succeed"},
}}
HISTORY_TABLES = ("executions", "events", "signals", "timers", "task_dispatches", "child_watches")


def double(event: Any, context: Any) -> Any:
    return {"n": event["n"] * 2}


def deployment(tmp_path: Path, **harness: Any) -> Harness:
    return Harness(functions={"double": double}, logs=ExecutionLogs(LogSettings(dir=tmp_path / "logs")), **harness)


def express_machine(harness: Harness, definition: dict[str, Any], name: str = "x") -> str:
    return str(harness.call(statemachines.create, name=name, definition=json.dumps(definition), roleArn=ROLE,
                            type="EXPRESS", loggingConfiguration=LOGGING)["stateMachineArn"])


def started(harness: Harness, machine: str, value: Any) -> tuple[str, list[ExecutionRecord]]:
    """Start an execution of ``machine``: its ARN, and the list its record is put in when it ends."""
    ended: list[ExecutionRecord] = []
    prepared = executions.prepare(harness.ctx, Request({"stateMachineArn": machine, "input": json.dumps(value)},
                                                       "us-east-1"))
    if express.run(harness.ctx, prepared.record, prepared.machine, ended.append):  # ended before it returned
        ended.append(prepared.record)
    return prepared.record.arn, ended


def log_lines(harness: Harness, tmp_path: Path) -> list[dict[str, Any]]:
    harness.engine.logs.flush()
    return [json.loads(t) for t in (tmp_path / "logs" / "express.log").read_text().splitlines()]


def test_an_express_execution_leaves_no_rows_in_the_store_and_logs_every_event(tmp_path: Path) -> None:
    harness = deployment(tmp_path, store=SqliteStore(tmp_path / "db"))
    machine = express_machine(harness, FIVE)
    arn = harness.call(executions.start, stateMachineArn=machine, input='{"n": 7}')["executionArn"]
    assert arn.startswith("arn:aws:states:us-east-1:000000000000:express:x:")
    harness.settle()
    with sqlite3.connect(tmp_path / "db" / FILE_NAME) as db:
        assert {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in HISTORY_TABLES} == dict.fromkeys(
            HISTORY_TABLES, 0)
    lines = log_lines(harness, tmp_path)
    assert lines[-1]["type"] == "ExecutionSucceeded" and json.loads(lines[-1]["details"]["output"]) == {"n": 14}
    assert {line["execution_arn"] for line in lines} == {arn}
    assert all("redrive_count" not in line for line in lines)  # Express executions cannot be redriven


def test_express_logs_carry_the_same_events_as_a_standard_history(tmp_path: Path) -> None:
    harness = deployment(tmp_path)
    standard = harness.call(statemachines.create, name="s", definition=json.dumps(FIVE), roleArn=ROLE)
    history = harness.run_until_done(harness.call(executions.start, stateMachineArn=standard["stateMachineArn"],
                                                  input='{"n": 3}')["executionArn"]).events
    _, ended = started(harness, express_machine(harness, FIVE), {"n": 3})
    harness.engine.express.fire_due(harness.clock.now() + 10)  # the Wait
    assert [r.status for r in ended] == ["SUCCEEDED"] and json.loads(ended[0].output or "") == {"n": 6}
    assert [line["type"] for line in log_lines(harness, tmp_path)] == [e["type"] for e in history]


def test_an_express_execution_times_out_after_five_minutes(tmp_path: Path) -> None:
    harness = deployment(tmp_path)
    waits = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    arn, ended = started(harness, express_machine(harness, waits), {})
    start = harness.clock.now()
    harness.engine.express.fire_due(start + MAX_SECONDS - 1)
    assert ended == [] and [r.arn for r in harness.engine.express.running()] == [arn]
    harness.engine.express.fire_due(start + MAX_SECONDS)
    assert [r.status for r in ended] == ["TIMED_OUT"] and harness.engine.express.running() == []
    assert log_lines(harness, tmp_path)[-1]["type"] == "ExecutionTimedOut"
    assert MAX_SECONDS == 300


def test_a_machine_timeout_shorter_than_five_minutes_wins(tmp_path: Path) -> None:
    harness = deployment(tmp_path)
    waits = {"TimeoutSeconds": 30, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    _, ended = started(harness, express_machine(harness, waits), {})
    harness.engine.express.fire_due(harness.clock.now() + 30)
    assert [r.status for r in ended] == ["TIMED_OUT"]


def test_a_pure_express_execution_ends_before_start_returns(tmp_path: Path) -> None:
    harness = deployment(tmp_path)
    machine = express_machine(harness, {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}})
    _, ended = started(harness, machine, {})
    assert [(r.status, r.error, r.cause) for r in ended] == [("FAILED", "E", "c")]
    assert harness.engine.logs.recent(machine)[0].status == "FAILED"


def test_stopping_a_running_express_execution_aborts_it(tmp_path: Path) -> None:
    harness = deployment(tmp_path)
    waits = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
    arn, ended = started(harness, express_machine(harness, waits), {})
    assert harness.engine.express.stop_execution(arn, "Why", "because")
    assert [(r.status, r.error) for r in ended] == [("ABORTED", "Why")]
    assert not harness.engine.express.stop_execution(arn, None, None)


def parent_of(harness: Harness, child: str, pattern: str = ".sync:2") -> dict[str, Any]:
    return {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": f"arn:aws:states:::states:startExecution{pattern}",
        "Parameters": {"StateMachineArn": child, "Input": {"n": 5}}, "End": True}}}


def test_a_standard_parent_waits_with_sync_for_an_express_child_that_ends_at_once(tmp_path: Path) -> None:
    harness = deployment(tmp_path)
    child = express_machine(harness, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    result = harness.run(parent_of(harness, child))
    assert result.status == "SUCCEEDED", result.event_types
    assert ":express:x:" in result.output["ExecutionArn"] and result.output["Output"] == {"n": 5}


def test_a_standard_parent_waits_with_sync_for_an_express_child_that_ends_later(tmp_path: Path) -> None:
    harness = deployment(tmp_path)
    child = express_machine(harness, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}})
    arn = harness.start(parent_of(harness, child))
    harness.settle()
    assert harness.result(arn).status == "RUNNING"
    harness.engine.express.fire_due(harness.clock.now() + 5)
    result = harness.run_until_done(arn)
    assert result.status == "SUCCEEDED" and result.output["Status"] == "SUCCEEDED"


def test_an_express_child_of_a_map_run_is_described_as_aws_describes_it(tmp_path: Path) -> None:
    harness = deployment(tmp_path)
    result = harness.run({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}, [1])
    run_arn = result.details("MapRunStarted")[0]["mapRunArn"]
    [child] = harness.call(executions.list_, mapRunArn=run_arn)["executions"]
    described = harness.call(executions.describe, executionArn=child["executionArn"])
    assert (described["status"], described["mapRunArn"]) == ("SUCCEEDED", run_arn)


def test_an_internal_error_fails_the_execution_and_still_ends_it(tmp_path: Path, monkeypatch: Any) -> None:
    harness = deployment(tmp_path)
    machine = express_machine(harness, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})

    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Interpreter, "start", broken)
    _, ended = started(harness, machine, {})
    assert [(r.status, r.error) for r in ended] == [("FAILED", "States.Runtime")]
    assert "a bug" in (ended[0].cause or "") and harness.engine.express.running() == []
    assert [line["type"] for line in log_lines(harness, tmp_path)] == ["ExecutionFailed"]
