"""EXPRESS workflows against a real ``stepforge serve --config`` with ``[logs]``, through boto3: answers
as AWS gives them, no rows in the SQLite history tables, every event in the log group's file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from stepforge.store.sqlite import FILE_NAME
from tests.e2e.conftest import ROLE_ARN, configured_server

OWN_FILE = "own.jsonl"
DEFINITION = json.dumps({"StartAt": "Shape", "States": {
    "Shape": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "Next": "Big"},
    "Big": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "No"}],
            "Default": "Done"},
    "No": {"Type": "Fail", "Error": "TooBig", "Cause": "n > 10"},
    "Done": {"Type": "Succeed"},
}})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """(a boto3 client, the server's work directory) of a server whose group "own" has a file of its own."""
    workdir = tmp_path_factory.mktemp("express")
    config = f'[logs.groups]\n"own" = "{workdir / OWN_FILE}"\n'
    with configured_server(workdir, config, "express server") as endpoint:
        yield boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing",
                           config=Config(retries={"max_attempts": 1}, inject_host_prefix=False)), workdir


def machine(sfn: Any, name: str, group: str, level: str = "ALL") -> str:
    return str(sfn.create_state_machine(
        name=name, definition=DEFINITION, roleArn=ROLE_ARN, type="EXPRESS", loggingConfiguration={
            "level": level, "includeExecutionData": True,
            "destinations": [{"cloudWatchLogsLogGroup": {
                "logGroupArn": f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*"}}]})["stateMachineArn"])


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(t) for t in path.read_text().splitlines()] if path.exists() else []


def test_start_sync_execution_logs_every_event_and_stores_nothing(
        server: tuple[Any, Path], wait_until: Callable[..., Any]) -> None:
    sfn, workdir = server
    arn = machine(sfn, "sync", "/aws/vendedlogs/states/sync")
    ok = sfn.start_sync_execution(stateMachineArn=arn, input='{"n": 3}')
    failed = sfn.start_sync_execution(stateMachineArn=arn, input='{"n": 30}')
    assert (ok["status"], json.loads(ok["output"])) == ("SUCCEEDED", {"n": 3})
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "TooBig", "n > 10")
    assert ":express:sync:" in ok["executionArn"]
    path = workdir / "data" / "logs" / "aws" / "vendedlogs" / "states" / "sync.log"
    logged = wait_until(lambda: len(lines(path)) == 15 and lines(path), what="both executions' log lines")
    assert [(line["execution_arn"], line["type"]) for line in logged] == [
        (ok["executionArn"], t) for t in ("ExecutionStarted", "PassStateEntered", "PassStateExited",
                                          "ChoiceStateEntered", "ChoiceStateExited", "SucceedStateEntered",
                                          "SucceedStateExited", "ExecutionSucceeded")
    ] + [(failed["executionArn"], t) for t in ("ExecutionStarted", "PassStateEntered", "PassStateExited",
                                               "ChoiceStateEntered", "ChoiceStateExited", "FailStateEntered",
                                               "ExecutionFailed")]
    with sqlite3.connect(f"file:{workdir / 'data' / FILE_NAME}?mode=ro", uri=True) as db:
        assert [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("executions", "events")] == [0, 0]


def test_an_asynchronous_express_execution_is_seen_through_its_logs_only(
        server: tuple[Any, Path], wait_until: Callable[..., Any]) -> None:
    sfn, workdir = server
    arn = machine(sfn, "async", "own", level="ERROR")
    started = sfn.start_execution(stateMachineArn=arn, input='{"n": 11}')["executionArn"]
    assert started.startswith("arn:aws:states:us-east-1:000000000000:express:async:")
    logged = wait_until(lambda: len(lines(workdir / OWN_FILE)) == 2 and lines(workdir / OWN_FILE),
                        what="the execution's log lines")
    assert [(line["execution_arn"], line["type"]) for line in logged] == [
        (started, "FailStateEntered"), (started, "ExecutionFailed")]
    for call in (sfn.describe_execution, sfn.get_execution_history, sfn.stop_execution):
        with pytest.raises(ClientError) as refused:
            call(executionArn=started)
        assert refused.value.response["Error"]["Code"] == "InvalidArn"
    with pytest.raises(ClientError) as listed:
        sfn.list_executions(stateMachineArn=arn)
    assert listed.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
