"""The HTTP side in-process: a throttled StartExecution counted as ExecutionThrottled and audited, reads not
audited, long polls counted while they wait."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from stepforge.api.credentials import AuthConfig
from stepforge.api.throttle import Throttle
from stepforge.api.throttle_config import Quota, ThrottleConfig
from stepforge.observe.config import ObserveConfig
from stepforge.observe.observatory import Observatory
from stepforge.server import build
from stepforge.store.memory import MemoryStore
from tests.observe.conftest import NODE, samples, value

ROLE = "arn:aws:iam::000000000000:role/stepforge-test"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Observatory]]:
    store = MemoryStore()
    observatory = Observatory(ObserveConfig(node=NODE), open_executions=store.count_open_executions, data_dir=tmp_path)
    quota = ThrottleConfig(enabled=True, operations={"StartExecution": Quota(bucket=1, refill=0.0001)})
    app, engine = build(store=store, throttle=Throttle(quota), observe=observatory, long_poll_seconds=30)
    engine.start()
    try:
        with TestClient(app) as client:
            yield client, observatory
    finally:
        engine.stop()
        observatory.close()


def call(client: TestClient, operation: str, **params: Any) -> Any:
    return client.post("/", content=json.dumps(params), headers={
        "X-Amz-Target": f"AWSStepFunctions.{operation}", "Content-Type": "application/x-amz-json-1.0"})


def trail(observatory: Observatory) -> list[dict[str, Any]]:
    assert observatory.audit is not None
    return [json.loads(line) for line in observatory.audit.path.read_text().splitlines()]


def test_a_throttled_start_counts_for_its_machine_and_is_audited(served: tuple[TestClient, Observatory]) -> None:
    client, observatory = served
    machine = call(client, "CreateStateMachine", name="hot", definition=PASS, roleArn=ROLE).json()["stateMachineArn"]
    assert call(client, "StartExecution", stateMachineArn=machine).status_code == 200
    refused = call(client, "StartExecution", stateMachineArn=machine)
    assert refused.headers["x-amzn-ErrorType"] == "ThrottlingException"
    assert value(samples(observatory), "stepforge_ExecutionThrottled_total", StateMachineArn=machine) == 1
    events = [(e["eventName"], e.get("errorCode")) for e in trail(observatory)]
    assert events == [("CreateStateMachine", None), ("StartExecution", None), ("StartExecution", "ThrottlingException")]


def test_without_a_trail_no_call_is_tapped_and_throttled_starts_still_count(tmp_path: Path) -> None:
    observatory = Observatory(ObserveConfig(node=NODE, audit=False), data_dir=tmp_path)
    quota = ThrottleConfig(enabled=True, operations={"StartExecution": Quota(bucket=1, refill=0.0001),
                                                     "StartSyncExecution": Quota(bucket=1, refill=0.0001)})
    app, _ = build(store=MemoryStore(), throttle=Throttle(quota), observe=observatory)
    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    assert app.trail.tap(scope) is None
    with TestClient(app) as client:
        machine = call(client, "CreateStateMachine", name="hot", definition=PASS, roleArn=ROLE, type="EXPRESS").json()
        for operation in ("StartExecution", "StartSyncExecution"):
            assert call(client, operation, stateMachineArn=machine["stateMachineArn"]).status_code == 200
            assert call(client, operation, stateMachineArn=machine["stateMachineArn"]).status_code == 400
    assert value(samples(observatory), "stepforge_ExecutionThrottled_total",
                 StateMachineArn=machine["stateMachineArn"]) == 2
    assert not (tmp_path / "audit.jsonl").exists()
    observatory.close()


def test_reads_are_not_audited_and_refused_reads_are(served: tuple[TestClient, Observatory]) -> None:
    client, observatory = served
    assert call(client, "ListStateMachines").status_code == 200
    assert call(client, "DescribeStateMachine", stateMachineArn="not-an-arn").status_code == 400
    assert [(e["eventName"], e["errorCode"]) for e in trail(observatory)] == [("DescribeStateMachine", "InvalidArn")]


def test_a_waiting_long_poll_is_counted(served: tuple[TestClient, Observatory]) -> None:
    client, observatory = served
    activity = call(client, "CreateActivity", name="slow").json()["activityArn"]
    answered: list[Any] = []
    poll = threading.Thread(target=lambda: answered.append(call(client, "GetActivityTask", activityArn=activity)))
    poll.start()
    deadline = time.monotonic() + 20
    while value(samples(observatory), "stepforge_api_long_polls") != 1:
        assert time.monotonic() < deadline, "the long poll was never counted"
        time.sleep(0.01)
    machine = call(client, "CreateStateMachine", name="work", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}})).json()
    assert call(client, "StartExecution", stateMachineArn=machine["stateMachineArn"]).status_code == 200
    poll.join(timeout=30)
    assert answered and answered[0].json()["taskToken"]
    assert value(samples(observatory), "stepforge_api_long_polls") == 0


def test_with_keys_an_unsigned_console_call_is_audited_and_a_page_is_not(tmp_path: Path) -> None:
    observatory = Observatory(ObserveConfig(node=NODE), data_dir=tmp_path)
    app, _ = build(auth=AuthConfig(keys={"AKIDX": "secret"}), observe=observatory)
    with TestClient(app) as client:
        assert client.get("/console/api/machines").status_code == 403
        assert client.get("/console/static/missing.js").status_code == 404
    events = trail(observatory)
    observatory.close()
    assert [(e["eventName"], e["errorCode"]) for e in events] \
        == [("GET /console/api/machines", "MissingAuthenticationTokenException")]


def test_the_trail_names_the_key_and_region_a_signature_claims_whatever_the_order_of_its_parts(
        served: tuple[TestClient, Observatory]) -> None:
    client, observatory = served
    headers = {"X-Amz-Target": "AWSStepFunctions.CreateActivity", "Content-Type": "application/x-amz-json-1.0"}
    signed = ("AWS4-HMAC-SHA256 Credential=AKIDONE/20261202/eu-west-1/states/aws4_request, "
              "SignedHeaders=host;x-amz-target, Signature=")
    reordered = "AWS4-HMAC-SHA256 Signature=abc, Credential=AKIDTWO/20261202/us-west-2/states/aws4_request"
    for index, authorization in enumerate([signed + "0" * 64, signed + "1" * 64, reordered]):
        client.post("/", content=json.dumps({"name": f"a{index}"}),
                    headers={**headers, "Authorization": authorization})
    assert [(e["userIdentity"].get("accessKeyId"), e["awsRegion"]) for e in trail(observatory)] \
        == [("AKIDONE", "eu-west-1"), ("AKIDONE", "eu-west-1"), ("AKIDTWO", "us-west-2")]


def test_a_start_with_a_large_input_is_audited_with_its_machine_and_the_input_hidden(
        served: tuple[TestClient, Observatory]) -> None:
    client, observatory = served
    machine = call(client, "CreateStateMachine", name="big", definition=PASS, roleArn=ROLE).json()["stateMachineArn"]
    large = json.dumps({"blob": "x" * 200_000})
    started = call(client, "StartExecution", stateMachineArn=machine, input=large).json()
    start = trail(observatory)[-1]
    assert start["requestParameters"] == {"stateMachineArn": machine, "input": "HIDDEN_DUE_TO_SECURITY_REASONS"}
    assert start["responseElements"]["executionArn"] == started["executionArn"]
    assert [r["ARN"] for r in start["resources"]] == [machine, started["executionArn"]]


def test_a_redrive_through_the_api_is_counted_with_its_ending(served: tuple[TestClient, Observatory]) -> None:
    client, observatory = served
    failing = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "No"}}})
    machine = call(client, "CreateStateMachine", name="fails", definition=failing, roleArn=ROLE).json()["stateMachineArn"]
    execution = call(client, "StartExecution", stateMachineArn=machine).json()["executionArn"]
    for attempt in range(2):
        deadline = time.monotonic() + 20
        while value(samples(observatory), "stepforge_ExecutionsFailed_total", StateMachineArn=machine) <= attempt:
            assert time.monotonic() < deadline, "the execution never failed"
            time.sleep(0.01)
        if attempt == 0:
            assert call(client, "RedriveExecution", executionArn=execution).status_code == 200
    found = samples(observatory)
    assert value(found, "stepforge_ExecutionsRedriven_total", StateMachineArn=machine) == 1
    assert value(found, "stepforge_RedrivenExecutionsFailed_total", StateMachineArn=machine) == 1
