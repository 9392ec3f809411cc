"""What survives a restart of the process: timers, frames, history, activity tokens.

A restart here is what a crash leaves behind: the database (SQLite, PostgreSQL), reopened by a new
store and engine.
The clock is manual, so a one-year Wait takes no wall-clock time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from stepforge.service import executions
from stepforge.service.context import Request
from stepforge.store.base import Store
from stepforge.testing import Harness
from tests.async_kit import run_alone

YEAR = 365 * 86400
START = 1_700_000_000.0


def restart(open_store: Callable[[], Store], at: float) -> Harness:
    return Harness(start=at, store=open_store())


def test_a_one_year_wait_survives_a_restart_and_fires_when_due(open_durable_store: Callable[[], Store]) -> None:
    before = Harness(start=START, store=open_durable_store())
    arn = before.start({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": YEAR, "Next": "Done"}, "Done": {"Type": "Pass", "End": True}}}, {"k": 1})
    before.settle()
    before.store.close()

    after = restart(open_durable_store, START + YEAR - 1)
    after.settle()
    assert after.result(arn).status == "RUNNING"
    after.advance(1)
    result = after.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", {"k": 1})
    assert [e["id"] for e in result.events] == list(range(1, 7))


def test_a_wait_due_during_downtime_fires_right_after_the_restart(open_durable_store: Callable[[], Store]) -> None:
    before = Harness(start=START, store=open_durable_store())
    arn = before.start({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}})
    before.settle()
    before.store.close()
    after = restart(open_durable_store, START + 3600)
    after.settle()
    assert after.result(arn).status == "SUCCEEDED"


def test_an_activity_token_handed_out_before_a_restart_stays_valid(open_durable_store: Callable[[], Store]) -> None:
    before = Harness(start=START, store=open_durable_store())
    activity = before.create_activity("survivor")
    arn = before.start({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}})
    before.settle()
    token, _ = before.poll(activity) or ("", None)
    before.store.close()

    after = restart(open_durable_store, START + 10)
    after.succeed(token, {"done": True})
    result = after.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", {"done": True})
    assert result.event_types.count("ActivityStarted") == 1


def test_work_queued_but_not_committed_is_done_after_a_restart(open_durable_store: Callable[[], Store]) -> None:
    before = Harness(start=START, store=open_durable_store())
    arn = before.start({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}})
    before.store.close()  # the start signal was committed; no engine step ran
    after = restart(open_durable_store, START)
    after.settle()
    result = after.result(arn)
    assert (result.status, result.output, len(result.events)) == ("SUCCEEDED", 1, 4)


def test_history_past_the_limit_fails_the_execution(open_durable_store: Callable[[], Store]) -> None:
    harness = Harness(start=START, store=open_durable_store())
    harness.engine.max_history_events = 50
    loop = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Done"}],
              "Default": "A"},
        "Done": {"Type": "Succeed"},
    }}
    result = harness.run(loop)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert len(result.events) == 50
    assert result.events[-1]["type"] == "ExecutionFailed"


def test_a_start_riding_in_a_batch_that_waits_is_stored_and_resumes_after_a_restart(
        open_durable_store: Callable[[], Store]) -> None:
    before = Harness(start=START, store=open_durable_store())
    machine = before.create({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 60, "Next": "Done"}, "Done": {"Type": "Pass", "End": True}}})
    request = Request({"stateMachineArn": machine, "name": "rider", "input": '{"k": 2}'}, "us-east-1")

    async def one_batch() -> Any:
        answer = asyncio.ensure_future(before.engine.writes.submit(
            lambda tx: executions.start(before.ctx.within(tx), request)))
        await asyncio.sleep(0)
        before.engine.run_once(before.clock.now())  # the API's write and the first step: one transaction
        return await answer

    arn = run_alone(one_batch())["executionArn"]
    before.store.close()  # what a SIGKILL after the commit leaves

    after = restart(open_durable_store, START + 60)
    after.settle()
    result = after.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", {"k": 2})
    assert [e["type"] for e in result.events][:3] == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited"]
