"""The same lifecycle as test_api_lifecycle_boto3, driven with the AWS CLI (v1).

On SQLite only: these tests check what the CLI sends and shows (a subprocess per call, the slowest
tests of the suite); test_api_lifecycle_boto3 runs the same lifecycle on every backend.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 1}, "End": True}}})
PASS_2 = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 2}, "End": True}}})
FAIL_THEN = json.dumps({"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "F"},
    "F": {"Type": "Fail", "Error": "Nope"},
}})
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.parametrize("endpoint", ["sqlite"], indirect=True)

FINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@pytest.fixture
def cli(aws_env: dict[str, str], endpoint: str) -> Callable[..., Any]:
    # The CLI would send StartSyncExecution to "sync-<host>"; a local endpoint needs that off.
    env = {**aws_env, "AWS_DISABLE_HOST_PREFIX_INJECTION": "true"}
    return lambda *args: aws(env, *args, endpoint=endpoint)


def aws(env: dict[str, str], *args: str, endpoint: str) -> Any:
    """``aws stepfunctions ARGS --endpoint-url ENDPOINT``, its JSON output decoded (None when empty)."""
    command = [str(BIN / "aws"), "stepfunctions", *args, "--output", "json", "--endpoint-url", endpoint]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed ({done.returncode}): {done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else None


def wait(cli: Callable[..., Any], arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        described: dict[str, Any] = cli("describe-execution", "--execution-arn", arn)
        if described["status"] in FINAL or time.monotonic() > deadline:
            return described
        time.sleep(0.1)


def test_machines_versions_aliases_tags(cli: Callable[..., Any], role_arn: str,
                                        unique_name: Callable[[str], str]) -> None:
    created = cli("create-state-machine", "--name", unique_name("cli"), "--definition", PASS, "--role-arn",
                  role_arn, "--publish", "--tags", "key=team,value=a")
    arn, v1 = created["stateMachineArn"], created["stateMachineVersionArn"]
    assert cli("describe-state-machine", "--state-machine-arn", arn)["status"] == "ACTIVE"
    assert cli("list-state-machines")["stateMachines"]
    v2 = cli("update-state-machine", "--state-machine-arn", arn, "--definition", PASS_2,
             "--publish")["stateMachineVersionArn"]
    revision = cli("describe-state-machine", "--state-machine-arn", arn)["revisionId"]
    assert cli("publish-state-machine-version", "--state-machine-arn", arn, "--revision-id",
               revision)["stateMachineVersionArn"] == v2
    assert len(cli("list-state-machine-versions", "--state-machine-arn", arn)["stateMachineVersions"]) == 2
    alias = cli("create-state-machine-alias", "--name", "live", "--routing-configuration",
                f"stateMachineVersionArn={v1},weight=100")["stateMachineAliasArn"]
    cli("update-state-machine-alias", "--state-machine-alias-arn", alias, "--description", "d")
    assert cli("describe-state-machine-alias", "--state-machine-alias-arn", alias)["description"] == "d"
    assert cli("list-state-machine-aliases", "--state-machine-arn", arn)["stateMachineAliases"]
    execution = cli("start-execution", "--state-machine-arn", alias)["executionArn"]
    assert json.loads(wait(cli, execution)["output"]) == {"v": 1}
    assert cli("describe-state-machine-for-execution", "--execution-arn", execution)["stateMachineArn"] == v1
    cli("tag-resource", "--resource-arn", arn, "--tags", "key=env,value=dev")
    cli("untag-resource", "--resource-arn", arn, "--tag-keys", "team")
    assert cli("list-tags-for-resource", "--resource-arn", arn)["tags"] == [{"key": "env", "value": "dev"}]
    cli("delete-state-machine-alias", "--state-machine-alias-arn", alias)
    cli("delete-state-machine-version", "--state-machine-version-arn", v1)
    cli("delete-state-machine", "--state-machine-arn", arn)


def test_executions_redrive_sync_and_test_state(cli: Callable[..., Any], role_arn: str,
                                                unique_name: Callable[[str], str]) -> None:
    arn = cli("create-state-machine", "--name", unique_name("clix"), "--definition", FAIL_THEN,
              "--role-arn", role_arn)["stateMachineArn"]
    execution = cli("start-execution", "--state-machine-arn", arn, "--input", "{}")["executionArn"]
    assert wait(cli, execution)["status"] == "FAILED"
    cli("redrive-execution", "--execution-arn", execution)
    assert wait(cli, execution)["redriveCount"] == 1
    assert cli("get-execution-history", "--execution-arn", execution, "--no-include-execution-data")["events"]
    assert cli("list-executions", "--state-machine-arn", arn)["executions"]
    assert cli("list-map-runs", "--execution-arn", execution)["mapRuns"] == []
    waiting = cli("create-state-machine", "--name", unique_name("cliw"), "--role-arn", role_arn, "--definition",
                  json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}))
    running = cli("start-execution", "--state-machine-arn", waiting["stateMachineArn"])["executionArn"]
    cli("stop-execution", "--execution-arn", running)
    assert wait(cli, running)["status"] == "ABORTED"

    express = cli("create-state-machine", "--name", unique_name("clie"), "--definition", PASS, "--role-arn",
                  role_arn, "--type", "EXPRESS")["stateMachineArn"]
    assert cli("start-sync-execution", "--state-machine-arn", express)["status"] == "SUCCEEDED"
    tested = cli("test-state", "--definition", json.dumps({"Type": "Pass", "Result": 1, "End": True}),
                 "--role-arn", role_arn, "--inspection-level", "DEBUG")
    assert tested["status"] == "SUCCEEDED"
    assert cli("validate-state-machine-definition", "--definition", PASS)["result"] == "OK"


def test_activities(cli: Callable[..., Any], role_arn: str, unique_name: Callable[[str], str]) -> None:
    activity = cli("create-activity", "--name", unique_name("clia"))["activityArn"]
    assert cli("describe-activity", "--activity-arn", activity)["name"]
    assert cli("list-activities")["activities"]
    machine = cli("create-state-machine", "--name", unique_name("clit"), "--role-arn", role_arn, "--definition",
                  json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "Next": "U"},
                                                         "U": {"Type": "Task", "Resource": activity,
                                                               "End": True}}}))["stateMachineArn"]
    execution = cli("start-execution", "--state-machine-arn", machine)["executionArn"]
    first = cli("get-activity-task", "--activity-arn", activity)
    cli("send-task-heartbeat", "--task-token", first["taskToken"])
    cli("send-task-success", "--task-token", first["taskToken"], "--task-output", "{}")
    second = cli("get-activity-task", "--activity-arn", activity)
    cli("send-task-failure", "--task-token", second["taskToken"], "--error", "Bad")
    assert wait(cli, execution)["error"] == "Bad"
    cli("delete-activity", "--activity-arn", activity)
