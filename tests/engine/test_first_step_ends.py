"""An execution that ends in its first step leaves nothing open: what that step opened (a timer, an
activity task) is cancelled with it, and an execution that opened nothing costs no clean-up writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from backends import BACKENDS, store_opener

from stepforge.service.errors import ApiError
from stepforge.testing import Harness


@pytest.fixture(params=["memory", *BACKENDS])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "memory":
        return Harness()
    return Harness(store=store_opener(request, request.param, tmp_path)())


def _failing_beside(opener: dict[str, Any]) -> dict[str, Any]:
    """A Parallel whose second branch fails at once, while the first opens something."""
    return {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Open", "States": {"Open": opener}},
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Branch"}}},
    ]}}}


def test_the_execution_timeout_its_first_step_set_is_cancelled_when_that_step_ends_it(harness: Harness) -> None:
    result = harness.run({"StartAt": "P", "TimeoutSeconds": 3600,
                          "States": {"P": {"Type": "Pass", "End": True}}})
    assert result.status == "SUCCEEDED"
    assert harness.store.next_due() is None


def test_a_wait_its_first_step_began_is_cancelled_when_that_step_ends_it(harness: Harness) -> None:
    result = harness.run(_failing_beside({"Type": "Wait", "Seconds": 3600, "End": True}))
    assert (result.status, result.error) == ("FAILED", "Branch")
    assert harness.store.next_due() is None


def test_a_task_its_first_step_scheduled_is_closed_when_that_step_ends_it(harness: Harness) -> None:
    activity = harness.create_activity("beside")
    arn = harness.start(_failing_beside({"Type": "Task", "Resource": activity, "End": True}))
    harness.settle()
    assert harness.result(arn).status == "FAILED"
    task = harness.poll(activity)
    if task is not None:  # a task queued before its execution ended is refused when answered
        with pytest.raises(ApiError):
            harness.succeed(task[0], {})


def test_an_execution_that_opens_nothing_ends_in_one_step(harness: Harness) -> None:
    result = harness.run({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}})
    assert (result.status, result.event_types) == ("SUCCEEDED", [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"])
