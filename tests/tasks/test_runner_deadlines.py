"""A finished task call must not live on until its deadline: an EXPRESS execution's whole run hung
off every call's ``deliver`` for the task's timeout (minutes), and the heap the cyclic collector
walked grew with every execution (full collections of hundreds of milliseconds under load)."""

from __future__ import annotations

import gc
import threading
import weakref

from stepforge.tasks import runner as runner_module
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.runner import Runner


class _Execution:
    """Stands for what a caller's ``deliver`` holds (an execution's record and run)."""


def test_a_finished_call_lets_go_of_what_its_deliver_holds() -> None:
    runner = Runner(threads=1)
    execution, delivered = _Execution(), threading.Event()
    held = weakref.ref(execution)

    def deliver(outcome: Outcome, execution: _Execution = execution) -> None:
        delivered.set()

    runner.run(lambda: Outcome(output=1), deliver=deliver, timeout=300.0)
    assert delivered.wait(5)
    del execution, deliver
    gc.collect()
    runner.close()
    assert held() is None


def test_deadlines_of_finished_calls_are_dropped_as_more_are_armed() -> None:
    runner = Runner(inline=True)
    limit = 64
    runner._compact_at = limit
    finished = [runner_module._Call(lambda o: None, lambda: Outcome()) for _ in range(limit + 1)]
    for call in finished:
        call.finish(Outcome(output=1))
        runner._arm(call, due=1e12)
    running = runner_module._Call(lambda o: None, lambda: Outcome())
    runner._arm(running, due=1e12)
    runner.close()
    assert [entry[2] for entry in runner._deadlines] == [running]


def test_a_far_deadline_does_not_stop_the_watcher_from_expiring_a_near_one() -> None:
    runner = Runner(threads=1)
    errors: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda hook_args: errors.append(hook_args.exc_value)  # type: ignore[assignment]
    try:
        far = runner_module._Call(lambda o: None, lambda: Outcome())
        runner._arm(far, due=1e15)  # beyond what the platform can wait for at once
        expired = threading.Event()
        runner.run(lambda: (threading.Event().wait(5), Outcome(output=1))[1],
                   deliver=lambda outcome: expired.set() if outcome.error else None, timeout=0.05,
                   expired=lambda: Outcome(error="States.Timeout"))
        assert expired.wait(5), "the near deadline never expired"
        assert errors == []
    finally:
        threading.excepthook = previous
        runner.close()
