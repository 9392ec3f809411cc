"""Starts of a quick EXPRESS machine run on the event loop; anything that may wait or loop, in a worker."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from api_kit import ROLE, Api, with_api

from stepforge.api import app as app_module
from stepforge.engine.express import QUICK_STATES
from stepforge.service import express, sync

PASS_CHOICE = {"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Result": {"n": 3}, "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}],
          "Default": "Small"},
    "Big": {"Type": "Succeed"}, "Small": {"Type": "Fail", "Error": "Small"}}}
LOOP = {"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Result": 1, "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 5, "Next": "P"}], "Default": "E"},
    "E": {"Type": "Succeed"}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 0, "End": True}}}
JSONATA = {"QueryLanguage": "JSONata", "StartAt": "P", "States": {
    "P": {"Type": "Pass", "Output": "{% $count([1..10]) %}", "End": True}}}
LONG = {"StartAt": "S0", "States": {
    f"S{i}": {"Type": "Pass", **({"Next": f"S{i + 1}"} if i < QUICK_STATES else {"End": True})}
    for i in range(QUICK_STATES + 1)}}


def record_threads(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[bool]:
    """Wrap ``owner.name``: the list it returns says, for each call, whether it ran on this (the loop's) thread."""
    loop_thread, on_loop, original = threading.get_ident(), [], getattr(owner, name)

    def recorded(*args: Any) -> Any:
        on_loop.append(threading.get_ident() == loop_thread)
        return original(*args)

    monkeypatch.setattr(owner, name, recorded)
    return on_loop


async def threads_of_starts(api: Api, monkeypatch: pytest.MonkeyPatch, definition: dict[str, Any],
                            created: dict[str, Any] | None = None, **params: Any) -> tuple[list[bool], Any]:
    """Two StartSyncExecutions of a new EXPRESS machine: whether each ran on the loop's thread, and the last answer."""
    on_loop = record_threads(monkeypatch, sync, "start")
    arn = (await api.ok("CreateStateMachine", name="m", definition=json.dumps(definition), roleArn=ROLE,
                        type="EXPRESS", **(created or {})))["stateMachineArn"]
    answers = [await api.ok("StartSyncExecution", stateMachineArn=arn, **params) for _ in range(2)]
    return on_loop, answers[-1]


@with_api
async def test_a_quick_machine_read_a_moment_ago_runs_on_the_loop(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    on_loop, answer = await threads_of_starts(api, monkeypatch, PASS_CHOICE)
    assert on_loop == [False, True]  # the first start reads the machine (a store read): in a worker
    assert (answer["status"], answer["output"]) == ("SUCCEEDED", '{"n":3}')


@pytest.mark.parametrize("definition", [LOOP, WAIT, LONG, JSONATA], ids=["loop", "wait", "many-states", "jsonata"])
@with_api
async def test_a_machine_that_may_wait_or_loop_runs_in_a_worker(api: Api, monkeypatch: pytest.MonkeyPatch,
                                                                definition: dict[str, Any]) -> None:
    on_loop, answer = await threads_of_starts(api, monkeypatch, definition)
    assert on_loop == [False, False] and answer["status"] == "SUCCEEDED"


@with_api
async def test_a_large_input_runs_in_a_worker(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    big = json.dumps({"x": "y" * express.INLINE_INPUT})
    on_loop, answer = await threads_of_starts(api, monkeypatch, PASS_CHOICE, input=big)
    assert on_loop == [False, False] and answer["status"] == "SUCCEEDED"


@with_api
async def test_a_machine_that_logs_runs_in_a_worker(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    logging = {"level": "ALL", "includeExecutionData": False, "destinations": [
        {"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:000000000000:log-group:g:*"}}]}
    on_loop, answer = await threads_of_starts(api, monkeypatch, PASS_CHOICE, {"loggingConfiguration": logging})
    assert on_loop == [False, False] and answer["status"] == "SUCCEEDED"


@pytest.mark.parametrize(("definition", "inline"), [(PASS_CHOICE, True), (LOOP, False)], ids=["quick", "loop"])
@with_api
async def test_an_asynchronous_start_of_a_quick_machine_runs_on_the_loop(
        api: Api, monkeypatch: pytest.MonkeyPatch, definition: dict[str, Any], inline: bool) -> None:
    on_loop = record_threads(monkeypatch, app_module, "_prepare_or_run")
    arn = (await api.ok("CreateStateMachine", name="m", definition=json.dumps(definition), roleArn=ROLE,
                        type="EXPRESS"))["stateMachineArn"]
    answers = [await api.ok("StartExecution", stateMachineArn=arn) for _ in range(2)]
    assert on_loop == [False, inline] and all(":express:m:" in a["executionArn"] for a in answers)
