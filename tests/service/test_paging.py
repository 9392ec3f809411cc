"""List* and GetExecutionHistory page in the store: keyset tokens, stable pages, refused forgeries."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from stepforge.service import executions, maprun, statemachines
from stepforge.service.errors import InvalidToken
from stepforge.testing import Harness

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}


def every(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> list[list[Any]]:
    """Each page of a list, following nextToken."""
    pages, token = [], None
    while True:
        answer = call(**params, **({"nextToken": token} if token else {}))
        pages.append(answer[key])
        token = answer.get("nextToken")
        if token is None:
            return pages


def test_list_executions_pages_newest_first_and_new_executions_do_not_shift_later_pages() -> None:
    h = Harness()
    machine = h.create(PASS)
    for index in range(5):
        h.call(executions.start, stateMachineArn=machine, name=f"e{index}")
        h.advance(1)
    first = h.call(executions.list_, stateMachineArn=machine, maxResults=2)
    h.call(executions.start, stateMachineArn=machine, name="late")
    second = h.call(executions.list_, stateMachineArn=machine, maxResults=2, nextToken=first["nextToken"])
    assert [e["name"] for e in first["executions"] + second["executions"]] == ["e4", "e3", "e2", "e1"]
    again = h.call(executions.list_, stateMachineArn=machine, maxResults=2)
    assert [e["name"] for e in again["executions"]] == ["late", "e4"]


def test_list_executions_filters_in_the_store() -> None:
    h = Harness()
    machine = h.create(WAIT)
    for index in range(4):
        h.call(executions.start, stateMachineArn=machine, name=f"e{index}")
    h.settle()
    h.call(executions.stop, executionArn=machine.replace(":stateMachine:", ":execution:") + ":e1")
    h.settle()
    pages = every(lambda **p: h.call(executions.list_, **p), "executions", stateMachineArn=machine,
                  statusFilter="RUNNING", maxResults=2)
    assert [[e["name"] for e in page] for page in pages] == [["e3", "e2"], ["e0"]]


def test_a_token_edited_by_hand_or_from_another_list_is_refused() -> None:
    h = Harness()
    machine = h.create(PASS)
    for index in range(3):
        h.call(executions.start, stateMachineArn=machine, name=f"e{index}")
    token = h.call(executions.list_, stateMachineArn=machine, maxResults=1)["nextToken"]
    body = json.loads(base64.urlsafe_b64decode(token))
    forged = base64.urlsafe_b64encode(json.dumps({**body, "after": "[9e9,1]"}).encode()).decode()
    for bad in (forged, "garbage", token[:-4]):
        with pytest.raises(InvalidToken):
            h.call(executions.list_, stateMachineArn=machine, nextToken=bad)
    with pytest.raises(InvalidToken):
        h.call(statemachines.list_, nextToken=token)


def test_list_state_machines_pages_active_machines() -> None:
    h = Harness()
    created = [h.create(PASS) for _ in range(3)]
    h.call(statemachines.delete, stateMachineArn=created[1])
    pages = every(lambda **p: h.call(statemachines.list_, **p), "stateMachines", maxResults=1)
    assert [m["stateMachineArn"] for page in pages for m in page] == [created[0], created[2]]


def test_history_pages_forward_and_backward_by_event_id() -> None:
    h = Harness()
    arn = h.start({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}}})
    h.settle()
    forward = every(lambda **p: h.call(executions.history, **p), "events", executionArn=arn, maxResults=2)
    backward = every(lambda **p: h.call(executions.history, **p), "events", executionArn=arn, maxResults=4,
                     reverseOrder=True)
    ids = [e["id"] for page in forward for e in page]
    assert ids == list(range(1, 7)) and [len(page) for page in forward] == [2, 2, 2]
    assert [e["id"] for page in backward for e in page] == ids[::-1]
    machine = arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
    h.call(executions.start, stateMachineArn=machine)
    token = h.call(executions.list_, stateMachineArn=machine, maxResults=1)["nextToken"]
    with pytest.raises(InvalidToken):
        h.call(executions.history, executionArn=arn, nextToken=token)


def test_list_map_runs_pages_oldest_first() -> None:
    h = Harness()
    item = {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                             **PASS}}
    arn = h.start({"StartAt": "A", "States": {"A": {**item, "Label": "a", "Next": "B"},
                                              "B": {**item, "Label": "b", "End": True,
                                                    "ItemProcessor": {**item["ItemProcessor"], "StartAt": "Q",
                                                                      "States": {"Q": PASS["States"]["P"]}}}}},
                  [1, 2])
    h.run_until_done(arn)
    pages = every(lambda **p: h.call(maprun.list_, **p), "mapRuns", executionArn=arn, maxResults=1)
    assert [run["mapRunArn"].split("/")[1].split(":")[0] for page in pages for run in page] == ["a", "b"]
    children = every(lambda **p: h.call(executions.list_, **p), "executions", mapRunArn=pages[0][0]["mapRunArn"],
                     maxResults=1)
    assert [len(page) for page in children] == [1, 1]
