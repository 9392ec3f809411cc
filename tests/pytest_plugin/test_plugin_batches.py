"""How few engine batches a run under the fixture takes, and that taking fewer changes no history.

A run on the manual clock goes from timer to timer in one batch (``Engine.run_jumping``); a mocked
task is answered in the step (one frame) or the batch (Parallel, Map) that schedules it. Each
shortcut must write the history the long way writes: the long way here is a Python function, whose
work starts after its batch commits and whose outcome comes back in the next batch.
"""

from __future__ import annotations

from typing import Any

import pytest

from stepforge.engine.engine import Engine
from stepforge.engine.observer import BatchDone
from stepforge.pytest_plugin import Return, StepForge, Throw
from stepforge.store.memory import MemoryStore

FN = "arn:aws:lambda:us-east-1:000000000000:function:"
DAY = 86400
#: A task's input: the state asking (the function fails each state's first call, as the mocks do).
ASKING = {"state.$": "$$.State.Name"}


def rounds(count: int) -> dict[str, Any]:
    """``count`` rounds of a Task retried once (its first call fails) then a day-long Wait."""
    states: dict[str, Any] = {}
    for i in range(count):
        states[f"Work{i}"] = {"Type": "Task", "Resource": FN + "work", "Parameters": ASKING,
                              "ResultPath": f"$.r{i}", "Next": f"Rest{i}",
                              "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 30, "MaxAttempts": 3}]}
        states[f"Rest{i}"] = {"Type": "Wait", "Seconds": DAY, "Next": f"Work{i + 1}" if i + 1 < count else "Done"}
    states["Done"] = {"Type": "Succeed"}
    return {"StartAt": "Work0", "States": states}


def parallel() -> dict[str, Any]:
    """Two branches, each a mocked Task retried once, then a Wait."""
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {
            name: {"Type": "Task", "Resource": FN + "work", "Parameters": ASKING, "Next": f"After{name}",
                   "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 5, "MaxAttempts": 2}]},
            f"After{name}": {"Type": "Wait", "Seconds": 60, "End": True}}}
    return {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "Branches": [branch("Left"), branch("Right")],
                                                   "End": True}}}


def counting(bench: StepForge) -> list[BatchDone]:
    batches: list[BatchDone] = []
    bench.harness.engine.observer = batches.append
    return batches


def flaky_function() -> Any:
    calls: dict[str, int] = {}

    def work(event: Any, context: Any) -> Any:
        calls[event["state"]] = calls.get(event["state"], 0) + 1
        if calls[event["state"]] % 2:
            raise Busy("not yet")
        return {"ok": True}
    return work


class Busy(Exception):
    pass


def history_the_long_way(definition: dict[str, Any]) -> list[dict[str, Any]]:
    bench = StepForge()
    try:
        bench.function("work", flaky_function())
        return bench.load(definition, name="m").run({}).events
    finally:
        bench.close()


def test_a_run_of_waits_and_retries_takes_one_batch_after_its_start() -> None:
    bench = StepForge()
    machine = bench.load(rounds(5), name="m")
    bench.mock("arn:aws:lambda:us-east-1:000000000000:function:work", *[Throw("Busy"), Return({"ok": True})] * 5)
    run = machine.start({})
    batches = counting(bench)
    run.finish()
    assert run.status == "SUCCEEDED" and run.retried == {f"Work{i}": 1 for i in range(5)}
    assert len(batches) == 1 and batches[0].timers == 10 and run.seconds == 5 * DAY + 5 * 30
    bench.close()


@pytest.mark.parametrize("definition", [rounds(3), parallel()], ids=["one frame", "parallel"])
def test_mocked_tasks_write_the_history_a_function_writes(definition: dict[str, Any]) -> None:
    bench = StepForge()
    bench.mock("arn:aws:lambda:us-east-1:000000000000:function:work", *[Throw("Busy", "not yet"), Return({"ok": True})] * 3)
    mocked = bench.load(definition, name="m").run({})
    bench.close()
    expected = history_the_long_way(definition)
    assert mocked.status == "SUCCEEDED"
    assert _without_function_details(mocked.events) == _without_function_details(expected)


def _without_function_details(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Events as (id, previous, type, timestamp, state name, input/output); a function's failure
    cause carries its traceback, a mock's its own words: the rest must match exactly."""
    shaped = []
    for event in events:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        shaped.append((event["id"], event["previousEventId"], event["type"], event["timestamp"],
                       details.get("name"), details.get("input"), details.get("output"), details.get("error")))
    return shaped


def test_the_clock_stops_where_the_run_ends_whatever_else_is_due_later() -> None:
    bench = StepForge()
    sleeper = bench.load({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 365 * DAY, "End": True}}},
                         name="sleeper").start()
    run = bench.load(rounds(2), name="m")
    bench.mock("Work0", Return(1))
    bench.mock("Work1", Return(2))
    finished = run.run({})
    assert finished.status == "SUCCEEDED" and bench.now() - finished.started == 2 * DAY
    assert sleeper.status == "RUNNING"
    bench.close()


def test_a_function_task_runs_before_the_clock_jumps_to_its_timeout() -> None:
    bench = StepForge()
    bench.function("quick", lambda event, context: {"done": True})
    definition = {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": FN + "quick", "TimeoutSeconds": 60, "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 10, "End": True}}}
    run = bench.load(definition, name="m").run({})
    assert (run.status, run.output, run.seconds) == ("SUCCEEDED", {"done": True}, 10)
    bench.close()


def test_only_a_manual_clock_jumps() -> None:
    engine = Engine(MemoryStore())
    with pytest.raises(TypeError, match="ManualClock"):
        engine.run_jumping("arn:aws:states:us-east-1:000000000000:execution:m:x", 0.0)
