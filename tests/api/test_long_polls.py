"""Long polls wait on the engine's commit notices, not on a loop over the store."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from api_kit import ROLE, Api, with_api

from stepforge.engine import notices


async def until(condition: Callable[[], bool]) -> None:
    with anyio.fail_after(10):
        while not condition():
            await anyio.sleep(0.001)


async def activity_machine(api: Api, name: str) -> tuple[str, str]:
    """(activity ARN, ARN of a machine whose one Task waits on that activity)."""
    activity = (await api.ok("CreateActivity", name=name))["activityArn"]
    definition = json.dumps({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}})
    machine = await api.ok("CreateStateMachine", name=f"{name}-machine", definition=definition, roleArn=ROLE)
    return activity, machine["stateMachineArn"]


async def polled(api: Api, activity: str, answers: list[Any]) -> None:
    answers.append(await api.ok("GetActivityTask", activityArn=activity, workerName="w"))


def run_engine(api: Api) -> None:
    api.engine.run_once(api.engine.clock.now())


@with_api
async def test_an_idle_long_poll_looks_again_only_when_a_task_of_its_activity_commits(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stepforge.api.app.RECHECK_SECONDS", 3600.0)
    activity, machine = await activity_machine(api, "work")
    _, other_machine = await activity_machine(api, "other")
    answers: list[Any] = []
    async with anyio.create_task_group() as group:
        group.start_soon(polled, api, activity, answers)
        await until(lambda: api.engine.notices.waiting(notices.activity(activity)) == 1)
        looks = api.store.calls["poll_activity_task"]
        await api.ok("StartExecution", stateMachineArn=other_machine)
        run_engine(api)  # a task of another activity commits: no reason to look
        await anyio.sleep(0.2)  # idle: a poll loop would have read the store ~10 times by now
        assert api.store.calls["poll_activity_task"] == looks
        await api.ok("StartExecution", stateMachineArn=machine, input='{"n": 1}')
        run_engine(api)
    assert json.loads(answers[0]["input"]) == {"n": 1}
    assert api.store.calls["poll_activity_task"] == looks + 1
    assert api.engine.notices.waiting(notices.activity(activity)) == 0


@with_api
async def test_a_task_committed_elsewhere_is_found_by_the_slow_recheck(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stepforge.api.app.RECHECK_SECONDS", 0.01)
    activity, machine = await activity_machine(api, "work")
    answers: list[Any] = []
    async with anyio.create_task_group() as group:
        group.start_soon(polled, api, activity, answers)
        await until(lambda: api.engine.notices.waiting(notices.activity(activity)) == 1)
        monkeypatch.setattr(api.engine.notices, "fire", lambda keys: None)  # as if another node committed it
        await api.ok("StartExecution", stateMachineArn=machine)
        run_engine(api)
    assert "taskToken" in answers[0]


@with_api
async def test_stopping_ends_a_waiting_long_poll_at_once(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stepforge.api.app.RECHECK_SECONDS", 3600.0)
    activity, _ = await activity_machine(api, "work")
    answers: list[Any] = []
    async with anyio.create_task_group() as group:
        group.start_soon(polled, api, activity, answers)
        await until(lambda: api.engine.notices.waiting(notices.activity(activity)) == 1)
        api.stopping.set()
        api.engine.notices.wake_all()
    assert answers == [{}]


@with_api
async def test_a_long_poll_for_a_missing_activity_fails_at_once(api: Api) -> None:
    response = await api.call("GetActivityTask", activityArn="arn:aws:states:us-east-1:000000000000:activity:nope")
    assert response.json()["__type"] == "com.amazonaws.states#ActivityDoesNotExist"
