"""Callbacks: ``.waitForTaskToken`` with ``$$.Task.Token``, and human approval links."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from stepforge.console.approval import routes as approval_routes
from stepforge.tasks import approval
from stepforge.testing import Harness

CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"


def approval_machine(timeout: int = 3600) -> dict[str, Any]:
    return {"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": CALLBACK, "TimeoutSeconds": timeout, "Next": "Approved",
                "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token", "who.$": "$.who"}},
                "Catch": [{"ErrorEquals": ["Rejected"], "Next": "Rejected"},
                          {"ErrorEquals": ["States.Timeout"], "Next": "Expired"}]},
        "Approved": {"Type": "Pass", "Result": "approved", "End": True},
        "Rejected": {"Type": "Pass", "Result": "rejected", "End": True},
        "Expired": {"Type": "Pass", "Result": "expired", "End": True},
    }}


class Outbox:
    """A function that 'mails' approval links: it keeps them for the test."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, event: Any, context: Any) -> Any:
        self.sent.append({"token": event["token"], "links": approval.approval_links(event["token"])})
        return {"sent": True}


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def harness(outbox: Outbox) -> Harness:
    return Harness(functions={"ask": outbox})


@pytest.fixture
def links(harness: Harness) -> TestClient:
    approval.configure(b"k" * 32, "http://testserver")
    return TestClient(Starlette(routes=approval_routes(harness.ctx)))


def test_the_task_waits_for_its_token_and_takes_the_callback_output(harness: Harness, outbox: Outbox) -> None:
    arn = harness.start(approval_machine(), {"who": "ann"})
    harness.settle()
    assert harness.result(arn).status == "RUNNING"
    assert len(outbox.sent) == 1 and len(outbox.sent[0]["token"]) > 40
    result = harness.result(arn)
    assert result.event_types[-3:] == ["TaskStateEntered", "TaskScheduled", "TaskStarted"]
    assert result.details("TaskScheduled")[0]["resource"] == "invoke.waitForTaskToken"
    harness.succeed(outbox.sent[0]["token"], {"ok": 1})
    final = harness.run_until_done(arn)
    assert (final.status, final.output) == ("SUCCEEDED", "approved")
    assert final.details("TaskSucceeded")[0]["output"] == '{"ok":1}'


def test_a_heartbeat_keeps_a_callback_alive(harness: Harness, outbox: Outbox) -> None:
    machine = approval_machine()
    machine["States"]["Ask"]["HeartbeatSeconds"] = 10
    arn = harness.start(machine, {"who": "ann"})
    harness.advance(8)
    harness.heartbeat(outbox.sent[0]["token"])
    harness.advance(8)
    assert harness.result(arn).status == "RUNNING"
    harness.advance(3)
    expired = harness.result(arn)  # AWS's recordings: a callback's missed heartbeat is States.Timeout
    assert (expired.status, expired.output) == ("SUCCEEDED", "expired")
    assert expired.details("TaskTimedOut")[0]["error"] == "States.Timeout"


def test_approve_link_confirms_then_sends_task_success(harness: Harness, outbox: Outbox, links: TestClient) -> None:
    arn = harness.start(approval_machine(), {"who": "ann"})
    harness.settle()
    url = outbox.sent[0]["links"]["approve"]
    assert "Approve" in links.get(url).text
    assert harness.result(arn).status == "RUNNING"  # opening the link decides nothing
    token, sig = outbox.sent[0]["token"], url.split("sig=")[1]
    assert links.post("/approval/approve", data={"token": token, "sig": sig}).status_code == 200
    assert harness.run_until_done(arn).output == "approved"
    assert links.post("/approval/approve", data={"token": token, "sig": sig}).status_code == 410


def test_reject_link_sends_task_failure(harness: Harness, outbox: Outbox, links: TestClient) -> None:
    arn = harness.start(approval_machine(), {"who": "ann"})
    harness.settle()
    sig = outbox.sent[0]["links"]["reject"].split("sig=")[1]
    response = links.post("/approval/reject", data={"token": outbox.sent[0]["token"], "sig": sig})
    assert response.status_code == 200
    assert harness.run_until_done(arn).output == "rejected"


def test_a_forged_link_is_refused(harness: Harness, outbox: Outbox, links: TestClient) -> None:
    arn = harness.start(approval_machine(), {"who": "ann"})
    harness.settle()
    approve_sig = outbox.sent[0]["links"]["approve"].split("sig=")[1]
    response = links.post("/approval/reject", data={"token": outbox.sent[0]["token"], "sig": approve_sig})
    assert response.status_code == 403
    assert harness.result(arn).status == "RUNNING"


def test_an_unanswered_approval_times_out(harness: Harness) -> None:
    assert harness.run(approval_machine(timeout=60), {"who": "ann"}).output == "expired"


def test_a_failing_submission_fails_the_task_at_once() -> None:
    def broken(event: Any, context: Any) -> Any:
        raise RuntimeError("mail server down")

    result = Harness(functions={"ask": broken}).run(approval_machine(), {"who": "ann"})
    assert (result.status, result.error) == ("FAILED", "RuntimeError")
    assert json.loads(result.cause or "")["errorMessage"] == "mail server down"


def test_task_token_is_only_in_the_context_of_callback_tasks() -> None:
    seen: list[Any] = []
    harness = Harness(functions={"f": lambda event, context: seen.append(event)})
    harness.run({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": "f", "Payload": {"ctx.$": "$$"}}}}})
    assert "Task" not in seen[0]["ctx"]
