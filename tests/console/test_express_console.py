"""The console lists an EXPRESS machine's executions from what its execution logs saw, not from history rows."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

ROLE = "arn:aws:iam::000000000000:role/stepforge-console-test"
FAILS = json.dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}})
PASSES = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def express_machine(call: Callable[..., dict[str, Any]], definition: str = PASSES) -> str:
    return str(call("CreateStateMachine", name=f"express-{uuid.uuid4().hex[:10]}", definition=definition,
                    roleArn=ROLE, type="EXPRESS")["stateMachineArn"])


def test_the_executions_of_an_express_machine_come_from_the_logs(client: TestClient) -> None:
    def call(operation: str, **params: Any) -> dict[str, Any]:
        response = client.post("/", headers={"X-Amz-Target": f"AWSStepFunctions.{operation}"}, json=params)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    arn = express_machine(call)
    for name in ("first", "second"):
        call("StartSyncExecution", stateMachineArn=arn, name=name)
    found = client.get("/console/api/executions", params={"machine": arn}).json()
    assert found["source"] == "logs" and found["next"] is None
    assert [(e["name"], e["status"]) for e in found["executions"]] == [("second", "SUCCEEDED"), ("first", "SUCCEEDED")]
    assert [e["name"] for e in client.get("/console/api/executions", params={"machine": arn, "q": "fir"}).json()[
        "executions"]] == ["first"]
    assert client.get("/console/api/executions", params={"machine": arn, "status": "FAILED"}).json()[
        "executions"] == []


def test_the_console_shows_recent_express_executions(page: Any, server: str,
                                                     aws: Callable[..., dict[str, Any]]) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    arn = express_machine(aws, FAILS)
    aws("StartSyncExecution", stateMachineArn=arn, name="went-wrong")
    page.goto(f"{server}/console/executions?machine={urllib.parse.quote(arn)}")
    expect(page.locator("#express-note")).to_contain_text("EXPRESS executions keep no history")
    row = page.locator("tr.execution-row.express")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("went-wrong")
    expect(row).to_contain_text("FAILED")
    page.goto(f"{server}/console/machine?arn={urllib.parse.quote(arn)}")
    expect(page.locator("h2", has_text="Recent executions (from the execution logs)")).to_be_visible()
    expect(page.locator("table.list", has_text="went-wrong")).to_be_visible()
