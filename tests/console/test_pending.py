"""The console's pending tasks: open activity tasks and callbacks, read from the task tables."""

from __future__ import annotations

import json
from typing import Any

from stepforge.console import pending
from stepforge.service.pending import waiting_tasks
from stepforge.testing import Harness

CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
LAMBDA = "arn:aws:states:::lambda:invoke"


def task(resource: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": resource, "End": True, **fields}}}


def test_pending_tasks_show_activity_tasks_and_callbacks_oldest_first() -> None:
    sent: list[str] = []
    h = Harness(functions={"mail": lambda event, context: sent.append(event["token"]), "quick": lambda e, c: 1})
    activity = h.create_activity("review")
    asked = h.start(task(activity), {"doc": 1}, name="asked")
    h.advance(1)
    mailed = h.start(task(CALLBACK, Parameters={"FunctionName": "mail", "Payload": {"token.$": "$$.Task.Token"}}))
    h.start(task(LAMBDA, Parameters={"FunctionName": "quick"}))  # no token to wait for: never pending
    h.settle()
    shown = waiting_tasks(h.ctx)
    assert [(t["kind"], t["executionArn"], t["state"]) for t in shown] == [
        ("activity", asked, "Ask"), ("callback", mailed, "Ask")]
    assert json.loads(shown[0]["input"]) == {"doc": 1} and shown[0]["executionName"] == "asked"
    assert (shown[1]["token"], shown[1]["resource"], shown[1]["input"]) == (sent[0], CALLBACK, None)
    assert pending.tasks(h.ctx) == shown

    token, _ = h.poll(activity) or ("", None)
    assert [t["started"] for t in waiting_tasks(h.ctx)] == [True, False]
    h.succeed(token, {})
    h.succeed(sent[0], {})
    assert waiting_tasks(h.ctx) == []


def test_pending_tasks_are_limited() -> None:
    h = Harness()
    activity = h.create_activity("many")
    for index in range(3):
        h.start(task(activity), name=f"e{index}")
        h.advance(1)
    assert [t["executionName"] for t in waiting_tasks(h.ctx, limit=2)] == ["e0", "e1"]
