"""At-least-once: work in flight when the server stopped is dispatched again at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stepforge.store.sqlite import SqliteStore
from stepforge.testing import Harness

FN = "arn:aws:lambda:us-east-1:000000000000:function:"


def machine(resource: str, **params: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": resource, "End": True}
    if params:
        state["Parameters"] = params
    return {"StartAt": "T", "States": {"T": state}}


def crashed_harness(tmp_path: Path, **functions: Any) -> Harness:
    """A deployment whose task work never completes (as if the process died after the commit)."""
    harness = Harness(store=SqliteStore(tmp_path), functions=functions)
    harness.engine.dispatcher.runner.run = lambda *a, **k: None  # type: ignore[method-assign]
    return harness


def test_a_function_call_lost_in_a_crash_runs_again_after_restart(tmp_path: Path) -> None:
    calls: list[Any] = []
    first = crashed_harness(tmp_path, f=lambda e, c: calls.append(e) or {"ok": True})
    arn = first.start(machine(FN + "f"), {"x": 1})
    first.settle()
    assert first.result(arn).status == "RUNNING" and calls == []

    second = Harness(store=SqliteStore(tmp_path), functions={"f": lambda e, c: calls.append(e) or {"ok": True}})
    assert second.engine.recover(second.clock.now()) == 1
    result = second.run_until_done(arn)
    assert (result.status, result.output, calls) == ("SUCCEEDED", {"ok": True}, [{"x": 1}])
    assert result.event_types.count("LambdaFunctionStarted") == 1


def test_finished_and_callback_waiting_tasks_are_not_redispatched_twice(tmp_path: Path) -> None:
    harness = Harness(store=SqliteStore(tmp_path), functions={"f": lambda e, c: {"ok": True}})
    harness.run(machine(FN + "f"))
    again = Harness(store=SqliteStore(tmp_path), functions={"f": lambda e, c: {"ok": True}})
    assert again.engine.recover(again.clock.now()) == 0


def test_an_activity_task_is_left_to_its_workers(tmp_path: Path) -> None:
    harness = Harness(store=SqliteStore(tmp_path))
    activity = harness.create_activity("work")
    harness.start(machine(activity))
    harness.settle()
    again = Harness(store=SqliteStore(tmp_path))
    assert again.engine.recover(again.clock.now()) == 0
    assert again.poll(activity) is not None
