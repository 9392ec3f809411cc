"""Every one of the 37 Step Functions operations, through a real lifecycle, with boto3."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from botocore.config import Config

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 1}, "End": True}}})
PASS_2 = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 2}, "End": True}}})
FAIL_THEN = json.dumps({"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "B"},
    "B": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "IsPresent": True, "Next": "C"}], "Default": "F"},
    "F": {"Type": "Fail", "Error": "Nope"},
    "C": {"Type": "Succeed"},
}})

CALLED: set[str] = set()


class Recorder:
    """A boto3 client that records which operations a test called."""

    def __init__(self, client: Any) -> None:
        self.client = client
        client.meta.events.register("before-call.states.*", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        CALLED.add(model.name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture
def api(sfn: Any, endpoint: str) -> Recorder:
    import boto3

    client = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))
    return Recorder(client)


def listed_machines(api: Recorder) -> set[str]:
    """Every state machine ARN, page by page (the shared test server holds many machines)."""
    arns: set[str] = set()
    params: dict[str, Any] = {"maxResults": 1000}
    while True:
        page = api.list_state_machines(**params)
        arns.update(m["stateMachineArn"] for m in page["stateMachines"])
        if not page.get("nextToken"):
            return arns
        params["nextToken"] = page["nextToken"]


def test_state_machine_versions_aliases_tags(api: Recorder, role_arn: str, unique_name: Callable[[str], str],
                                             wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    created = api.create_state_machine(name=unique_name("sm"), definition=PASS, roleArn=role_arn, publish=True,
                                       versionDescription="first", tags=[{"key": "team", "value": "a"}],
                                       tracingConfiguration={"enabled": True})
    arn, v1 = created["stateMachineArn"], created["stateMachineVersionArn"]
    assert v1 == f"{arn}:1"
    described = api.describe_state_machine(stateMachineArn=arn)
    assert described["tracingConfiguration"] == {"enabled": True} and described["revisionId"]
    assert api.describe_state_machine(stateMachineArn=v1)["description"] == "first"
    assert arn in listed_machines(api)
    updated = api.update_state_machine(stateMachineArn=arn, definition=PASS_2, publish=True)
    v2 = updated["stateMachineVersionArn"]
    assert v2 == f"{arn}:2" and updated["revisionId"] != described["revisionId"]
    again = api.publish_state_machine_version(stateMachineArn=arn, revisionId=updated["revisionId"])
    assert again["stateMachineVersionArn"] == v2  # idempotent on the revision
    versions = api.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [v2, v1]

    alias = api.create_state_machine_alias(name="live", routingConfiguration=[
        {"stateMachineVersionArn": v1, "weight": 100}])["stateMachineAliasArn"]
    api.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[
        {"stateMachineVersionArn": v1, "weight": 50}, {"stateMachineVersionArn": v2, "weight": 50}])
    assert len(api.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]) == 2
    assert api.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"][0]["stateMachineAliasArn"] \
        == alias

    by_alias = api.start_execution(stateMachineArn=alias)["executionArn"]
    by_version = api.start_execution(stateMachineArn=v1)["executionArn"]
    assert json.loads(wait_for_execution(by_version)["output"]) == {"v": 1}
    final = wait_for_execution(by_alias)
    assert final["stateMachineAliasArn"] == alias and final["stateMachineVersionArn"] in (v1, v2)
    assert api.describe_state_machine_for_execution(executionArn=by_version)["stateMachineArn"] == v1
    listed = [e["executionArn"] for e in api.list_executions(stateMachineArn=v1)["executions"]]
    assert by_version in listed  # (the alias's execution too, when its 50/50 routing picked v1)
    assert set(listed) <= {by_version, by_alias}

    api.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    api.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert api.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]

    api.delete_state_machine_alias(stateMachineAliasArn=alias)
    api.delete_state_machine_version(stateMachineVersionArn=v1)
    assert len(api.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]) == 1
    api.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(api.exceptions.StateMachineDoesNotExist):
        api.describe_state_machine(stateMachineArn=arn)


def test_executions_stop_redrive_history(api: Recorder, role_arn: str, unique_name: Callable[[str], str],
                                         wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    arn = api.create_state_machine(name=unique_name("ex"), definition=FAIL_THEN, roleArn=role_arn)["stateMachineArn"]
    failed = api.start_execution(stateMachineArn=arn, name="e1", input="{}")["executionArn"]
    assert wait_for_execution(failed)["status"] == "FAILED"
    assert api.describe_execution(executionArn=failed)["redriveStatus"] == "REDRIVABLE"
    api.redrive_execution(executionArn=failed, clientToken="t1")
    redriven = wait_for_execution(failed)
    assert redriven["status"] == "FAILED" and redriven["redriveCount"] == 1
    events = api.get_execution_history(executionArn=failed, includeExecutionData=False)["events"]
    types = [e["type"] for e in events]
    assert "ExecutionRedriven" in types
    after = types[types.index("ExecutionRedriven"):]
    assert "PassStateEntered" not in after  # the successful step did not run again
    assert all("input" not in e.get("stateEnteredEventDetails", {}) for e in events)
    page = api.get_execution_history(executionArn=failed, maxResults=2, reverseOrder=True)
    assert len(page["events"]) == 2 and page["nextToken"]
    assert [e["executionArn"] for e in api.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")[
        "executions"]] == [failed]

    waiting = api.create_state_machine(name=unique_name("wait"), roleArn=role_arn, definition=json.dumps(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}))["stateMachineArn"]
    running = api.start_execution(stateMachineArn=waiting)["executionArn"]
    api.stop_execution(executionArn=running, error="E", cause="stopped")
    assert wait_for_execution(running)["status"] == "ABORTED"
    assert api.list_executions(stateMachineArn=waiting, statusFilter="ABORTED")["executions"]
    assert api.list_map_runs(executionArn=running)["mapRuns"] == []


def test_express_sync_test_state_and_validate(api: Recorder, role_arn: str,
                                             unique_name: Callable[[str], str]) -> None:
    arn = api.create_state_machine(name=unique_name("x"), definition=FAIL_THEN, roleArn=role_arn,
                                   type="EXPRESS")["stateMachineArn"]
    ok = api.start_sync_execution(stateMachineArn=arn, input='{"ok": true}')
    assert ok["status"] == "SUCCEEDED" and ":express:" in ok["executionArn"]
    failed = api.start_sync_execution(stateMachineArn=arn, input="{}")
    assert (failed["status"], failed["error"]) == ("FAILED", "Nope")
    tested = api.test_state(definition=json.dumps({"Type": "Pass", "Parameters": {"x.$": "$.a"}, "Next": "N"}),
                            roleArn=role_arn, input='{"a": 3}', inspectionLevel="DEBUG")
    assert (tested["status"], tested["nextState"], json.loads(tested["output"])) == ("SUCCEEDED", "N", {"x": 3})
    assert json.loads(tested["inspectionData"]["afterParameters"]) == {"x": 3}
    assert api.validate_state_machine_definition(definition=PASS)["result"] == "OK"


def test_activities_and_tasks(api: Recorder, role_arn: str, unique_name: Callable[[str], str],
                              wait_for_execution: Callable[..., dict[str, Any]]) -> None:
    activity = api.create_activity(name=unique_name("act"), tags=[{"key": "k", "value": "v"}])["activityArn"]
    assert api.describe_activity(activityArn=activity)["activityArn"] == activity
    assert api.list_tags_for_resource(resourceArn=activity)["tags"] == [{"key": "k", "value": "v"}]
    assert any(a["activityArn"] == activity for a in api.list_activities(maxResults=1000)["activities"])
    machine = api.create_state_machine(name=unique_name("task"), roleArn=role_arn, definition=json.dumps(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "Next": "U"},
                                    "U": {"Type": "Task", "Resource": activity, "End": True}}}))["stateMachineArn"]
    execution = api.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
    first = api.get_activity_task(activityArn=activity, workerName="w")
    api.send_task_heartbeat(taskToken=first["taskToken"])
    api.send_task_success(taskToken=first["taskToken"], output='{"n": 2}')
    second = api.get_activity_task(activityArn=activity, workerName="w")
    api.send_task_failure(taskToken=second["taskToken"], error="Bad", cause="worker")
    assert wait_for_execution(execution)["error"] == "Bad"
    api.delete_activity(activityArn=activity)


def test_map_run_operations_answer_for_missing_runs(api: Recorder) -> None:
    missing = "arn:aws:states:us-east-1:000000000000:mapRun:m/label:11111111-1111-1111-1111-111111111111"
    with pytest.raises(api.exceptions.ResourceNotFound):
        api.describe_map_run(mapRunArn=missing)
    with pytest.raises(api.exceptions.ResourceNotFound):
        api.update_map_run(mapRunArn=missing, maxConcurrency=2)


def test_every_operation_was_called() -> None:
    """Runs last in this module (pytest keeps definition order)."""
    model = botocore.session.get_session().get_service_model("stepfunctions")
    if len(CALLED) < 5:
        pytest.skip("the lifecycle tests ran on another xdist worker")
    assert set(model.operation_names) - CALLED == set()
