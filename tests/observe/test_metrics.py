"""/metrics counts what committed: AWS's metric names per state machine, task kinds, the engine's figures."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from stepforge.observe.observatory import Observatory
from stepforge.service import executions, redrive, statemachines
from stepforge.store.base import StorageFull, UnitOfWork
from stepforge.testing import ROLE, Harness
from tests.observe.conftest import samples, value

FN = "arn:aws:lambda:us-east-1:000000000000:function:"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "on purpose"}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}}}


def lambda_machine(function: str) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": FN + function, "End": True}}}


def activity_machine(activity: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True, **fields}}}


def machine_of(harness: Harness, arn: str) -> str:
    record = harness.store.get_execution(arn)
    assert record is not None
    return record.state_machine_arn


def counted(found: dict[tuple[str, frozenset[tuple[str, str]]], float], machine: str) -> dict[str, float]:
    """The machine's executions started, succeeded and failed, as /metrics counts them."""
    return {phase: value(found, f"stepforge_Executions{phase}_total", StateMachineArn=machine)
            for phase in ("Started", "Succeeded", "Failed")}


def test_execution_counts_per_state_machine_after_a_known_set_of_runs(harness: Harness, observed: Observatory) -> None:
    passing = harness.create(PASS)
    for _ in range(3):
        harness.run_until_done(harness.call(executions.start, stateMachineArn=passing, input="{}")["executionArn"])
    failing = machine_of(harness, harness.run(FAIL).arn)
    found = samples(observed)
    assert counted(found, passing) == {"Started": 3, "Succeeded": 3, "Failed": 0}
    assert counted(found, failing) == {"Started": 1, "Succeeded": 0, "Failed": 1}
    assert value(found, "stepforge_ExecutionTime_count", StateMachineArn=passing) == 3


def test_execution_time_is_the_time_from_start_to_end_in_milliseconds(harness: Harness, observed: Observatory) -> None:
    result = harness.run(WAIT)
    machine = machine_of(harness, result.arn)
    found = samples(observed)
    assert value(found, "stepforge_ExecutionTime_sum", StateMachineArn=machine) == pytest.approx(30_000)
    assert value(found, "stepforge_ExecutionTime_bucket", StateMachineArn=machine, le="30000.0") == 1
    assert value(found, "stepforge_ExecutionTime_bucket", StateMachineArn=machine, le="10000.0") == 0


def test_aborted_and_timed_out_executions_count_as_such(harness: Harness, observed: Observatory) -> None:
    timed_out = harness.run({"TimeoutSeconds": 5, **WAIT})
    assert timed_out.status == "TIMED_OUT"
    found = samples(observed)
    assert value(found, "stepforge_ExecutionsTimedOut_total", StateMachineArn=machine_of(harness, timed_out.arn)) == 1


def test_lambda_function_counts_and_times_name_the_function(harness: Harness, observed: Observatory) -> None:
    ok = harness.run(lambda_machine("double"), {"n": 2})
    bad = harness.run(lambda_machine("boom"), {"n": 2})
    assert (ok.status, bad.status) == ("SUCCEEDED", "FAILED")
    found = samples(observed)
    double = {"StateMachineArn": machine_of(harness, ok.arn), "LambdaFunctionArn": FN + "double"}
    boom = {"StateMachineArn": machine_of(harness, bad.arn), "LambdaFunctionArn": FN + "boom"}
    for phase in ("Scheduled", "Started", "Succeeded"):
        assert value(found, f"stepforge_LambdaFunctions{phase}_total", **double) == 1
    assert value(found, "stepforge_LambdaFunctionsFailed_total", **boom) == 1
    assert value(found, "stepforge_LambdaFunctionsSucceeded_total", **boom) == 0
    assert value(found, "stepforge_LambdaFunctionRunTime_count", **double) == 1
    assert value(found, "stepforge_LambdaFunctionTime_count", **boom) == 1


def test_tasks_count_under_their_resource_in_executions_whose_states_are_not_followed(
        harness: Harness, observed: Observatory) -> None:
    retried = lambda_machine("boom")
    retried["States"]["Call"]["Retry"] = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}]
    machine = harness.create(retried)
    for _ in range(3):  # states are followed in the first only
        arn = harness.call(executions.start, stateMachineArn=machine, input='{"n": 1}')["executionArn"]
        assert harness.run_until_done(arn).status == "FAILED"
    found = samples(observed)
    boom = {"StateMachineArn": machine, "LambdaFunctionArn": FN + "boom"}
    for phase in ("Scheduled", "Started", "Failed"):
        assert value(found, f"stepforge_LambdaFunctions{phase}_total", **boom) == 9
    assert value(found, "stepforge_LambdaFunctionRunTime_count", **boom) == 9
    assert value(found, "stepforge_LambdaFunctionsFailed_total", StateMachineArn=machine,
                 LambdaFunctionArn="unknown") == 0


def test_executions_whose_states_are_not_followed_count_over_several_steps_and_a_redrive(
        harness: Harness, observed: Observatory) -> None:
    waits = harness.create({"TimeoutSeconds": 20, "StartAt": "Both", "States": {"Both": {
        "Type": "Parallel", "End": True, "Branches": [{"StartAt": "W", "States": {"W": WAIT["States"]["W"]}}]}}})
    arns = [harness.call(executions.start, stateMachineArn=waits, input="{}")["executionArn"]
            for _ in range(3)]  # at one time: states are followed in the first only
    assert [harness.run_until_done(arn).status for arn in arns] == ["TIMED_OUT"] * 3
    harness.call(redrive.redrive_execution, executionArn=arns[2])
    assert harness.run_until_done(arns[2]).status == "TIMED_OUT"
    found = samples(observed)
    assert value(found, "stepforge_ExecutionsStarted_total", StateMachineArn=waits) == 3
    assert value(found, "stepforge_ExecutionsTimedOut_total", StateMachineArn=waits) == 4
    assert value(found, "stepforge_ExecutionsRedriven_total", StateMachineArn=waits) == 1
    assert value(found, "stepforge_RedrivenExecutionsTimedOut_total", StateMachineArn=waits) == 1
    assert value(found, "stepforge_ExecutionTime_count", StateMachineArn=waits) == 4


def test_map_runs_are_counted_per_machine_in_executions_whose_states_are_not_followed(
        harness: Harness, observed: Observatory) -> None:
    distributed = harness.create({"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}})
    arns = [harness.call(executions.start, stateMachineArn=distributed, input="[1, 2, 3]")["executionArn"]
            for _ in range(3)]  # at one time: states are followed in the first only
    assert [harness.run_until_done(arn).status for arn in arns] == ["SUCCEEDED"] * 3
    found = samples(observed)
    assert value(found, "stepforge_MapRunsStarted_total", StateMachineArn=distributed) == 3
    assert value(found, "stepforge_MapRunsSucceeded_total", StateMachineArn=distributed) == 3
    assert value(found, "stepforge_ApproximateOpenMapRunCount") == 0


def test_activity_counts_follow_a_worker_and_a_heartbeat_timeout(harness: Harness, observed: Observatory) -> None:
    activity = harness.create_activity("chores")
    done = harness.start(activity_machine(activity))
    harness.settle()
    polled = harness.poll(activity)
    assert polled is not None
    harness.clock.advance(2)
    harness.succeed(polled[0], {"ok": True})
    silent = harness.start(activity_machine(activity, HeartbeatSeconds=5))
    harness.settle()
    assert harness.poll(activity) is not None
    result = harness.run_until_done(silent)
    assert result.error == "States.HeartbeatTimeout"
    found = samples(observed)
    first = {"StateMachineArn": machine_of(harness, done), "ActivityArn": activity}
    second = {"StateMachineArn": machine_of(harness, silent), "ActivityArn": activity}
    assert [value(found, f"stepforge_Activities{p}_total", **first) for p in ("Scheduled", "Started", "Succeeded")] \
        == [1, 1, 1]
    assert value(found, "stepforge_ActivityRunTime_sum", **first) == pytest.approx(2000)
    assert value(found, "stepforge_ActivitiesHeartbeatTimedOut_total", **second) == 1
    assert value(found, "stepforge_ActivitiesTimedOut_total", **second) == 0


def test_service_integrations_are_counted_under_their_resource_arn(harness: Harness, observed: Observatory) -> None:
    child = harness.create(PASS)
    parent = {"StartAt": "Child", "States": {"Child": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child}, "End": True}}}
    result = harness.run(parent)
    assert result.status == "SUCCEEDED", result.cause
    found = samples(observed)
    labels = {"StateMachineArn": machine_of(harness, result.arn),
              "ServiceIntegrationResourceArn": "arn:aws:states:::states:startExecution.sync:2"}
    assert value(found, "stepforge_ServiceIntegrationsScheduled_total", **labels) == 1
    assert value(found, "stepforge_ServiceIntegrationsSucceeded_total", **labels) == 1


def test_a_batch_that_rolls_back_counts_nothing(harness: Harness, observed: Observatory,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    arn = harness.start(PASS)
    real = harness.store.transaction
    failing = True

    @contextlib.contextmanager
    def full_disk() -> Iterator[UnitOfWork]:
        """The batch runs whole, then its commit fails: the store rolls it back."""
        if not failing:
            with real() as tx:
                yield tx
            return
        with pytest.raises(StorageFull), real() as tx:
            yield tx
            raise StorageFull("disk full")
        raise StorageFull("disk full")
    monkeypatch.setattr(harness.store, "transaction", full_disk)
    with pytest.raises(StorageFull):
        harness.engine.run_once(harness.clock.now())
    assert harness.result(arn).status == "RUNNING"
    found = samples(observed)
    assert value(found, "stepforge_engine_batches_total") == 0
    assert value(found, "stepforge_ExecutionsStarted_total", StateMachineArn=machine_of(harness, arn)) == 0
    failing = False
    harness.settle()
    assert harness.result(arn).status == "SUCCEEDED"
    found = samples(observed)
    machine = machine_of(harness, arn)
    assert value(found, "stepforge_ExecutionsStarted_total", StateMachineArn=machine) == 1
    assert value(found, "stepforge_ExecutionsSucceeded_total", StateMachineArn=machine) == 1


def test_engine_figures_batches_open_executions_and_timer_lag(harness: Harness, observed: Observatory) -> None:
    arn = harness.start(WAIT)
    harness.settle()
    found = samples(observed)
    assert value(found, "stepforge_engine_open_executions") == 1
    assert value(found, "stepforge_engine_batches_total") >= 1
    harness.clock.advance(31)  # the timer is due at +30: it fires one second late
    harness.settle()
    assert harness.result(arn).status == "SUCCEEDED"
    found = samples(observed)
    assert value(found, "stepforge_engine_open_executions") == 0
    assert value(found, "stepforge_engine_timer_lag_seconds_count") == 1
    assert value(found, "stepforge_engine_timer_lag_seconds_sum") == pytest.approx(1.0)
    assert value(found, "stepforge_engine_batch_size_count") == value(found, "stepforge_engine_batches_total")


def test_express_executions_are_counted_as_standard_ones_though_they_keep_no_history(
        harness: Harness, observed: Observatory) -> None:
    def express(name: str, definition: dict[str, Any]) -> str:
        created = harness.call(statemachines.create, name=name, definition=json.dumps(definition),
                               roleArn=ROLE, type="EXPRESS")
        return str(created["stateMachineArn"])

    passing, failing = express("passing", PASS), express("failing", FAIL)
    for machine in (passing, passing, failing):
        arn = harness.call(executions.start, stateMachineArn=machine, input="{}")["executionArn"]
        assert ":express:" in arn
    harness.settle()
    found = samples(observed)
    assert counted(found, passing) == {"Started": 2, "Succeeded": 2, "Failed": 0}
    assert counted(found, failing) == {"Started": 1, "Succeeded": 0, "Failed": 1}
    assert value(found, "stepforge_ExecutionTime_count", StateMachineArn=passing) == 2
