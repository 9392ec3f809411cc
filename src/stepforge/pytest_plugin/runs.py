"""One execution under test: its outcome, its path, each state's data, and the hands that move it.

A :class:`Run` reads the execution's history when asked (it stays current as the execution moves):

    run = machine.start({"order": 7})       # runs until it blocks: a Wait, an activity, a callback
    run.advance(3600)                       # an hour later (timers due by then fire)
    run.succeed("Approve", {"ok": True})    # answer the activity or callback task the state waits on
    run.finish()                            # jump from timer to timer until the execution ends
    assert run.status == "SUCCEEDED" and run.path == ["Charge", "Approve", "Ship"]
    assert run.state("Charge").retries == 2 and run.caught == [("Ship", "Ship.Unavailable")]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stepforge.pytest_plugin.history import Visit, read_visits, unlink
from stepforge.service import activities

if TYPE_CHECKING:
    from stepforge.store.records import ExecutionRecord
    from stepforge.testing import Harness

#: How far ``finish`` jumps the clock at most: ten years of timers.
MAX_SECONDS = 10 * 365 * 86400.0


class Run:
    """An execution started by the ``stepforge`` fixture (or :class:`~stepforge.pytest_plugin.workbench.StepForge`)."""

    def __init__(self, harness: Harness, arn: str, machine: str) -> None:
        self._harness = harness
        self.arn = arn
        self.machine = machine
        self.started = harness.clock.now()
        self._cache: tuple[int, list[dict[str, Any]], list[Visit]] | None = None

    def __repr__(self) -> str:
        return f"<Run {self.machine} {self.status} path={self.path}>"

    # -- the outcome -----------------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self._record().status

    @property
    def output(self) -> Any:
        text = self._record().output
        return None if text is None else json.loads(text)

    @property
    def error(self) -> str | None:
        return self._record().error

    @property
    def cause(self) -> str | None:
        return self._record().cause

    @property
    def seconds(self) -> float:
        """Seconds on the manual clock from the start to the end (or to now, while it runs)."""
        stopped = self._record().stopped
        return (self._harness.clock.now() if stopped is None else stopped) - self.started

    @property
    def events(self) -> list[dict[str, Any]]:
        """The history as GetExecutionHistory returns it."""
        return self._read()[1]

    @property
    def event_types(self) -> list[str]:
        return [str(e["type"]) for e in self.events]

    @property
    def visits(self) -> list[Visit]:
        """Every state visit, in the order they began (nested Parallel/Map states included)."""
        return self._read()[2]

    @property
    def path(self) -> list[str]:
        """The names of the states entered, in order."""
        return [v.name for v in self.visits]

    def state(self, name: str) -> Visit:
        """The last visit of the state ``name``: ``input``, ``output``, ``attempts``, ``retries``,
        ``failures``, ``caught``, ``results``; AssertionError if the execution never entered it."""
        found = [v for v in self.visits if v.name == name]
        if not found:
            raise AssertionError(f"the execution never entered {name!r}; path: {self.path}")
        return found[-1]

    def entered(self, name: str) -> int:
        """How many times the execution entered the state ``name``."""
        return sum(1 for v in self.visits if v.name == name)

    @property
    def retried(self) -> dict[str, int]:
        """Retries per state (states that were never retried are left out)."""
        counts: dict[str, int] = {}
        for visit in self.visits:
            if visit.retries:
                counts[visit.name] = counts.get(visit.name, 0) + visit.retries
        return counts

    @property
    def caught(self) -> list[tuple[str, str]]:
        """(state, error) for each error a Catch clause handled, in order."""
        return [(v.name, v.caught) for v in self.visits if v.caught is not None]

    # -- moving it -------------------------------------------------------------------------------

    def advance(self, seconds: float) -> Run:
        """Move the clock forward by ``seconds`` and process what became due (of every execution)."""
        self._harness.advance(seconds)
        return self

    def finish(self, *, max_seconds: float = MAX_SECONDS) -> Run:
        """Jump the clock from timer to timer until the execution ends. AssertionError when it waits
        on something only the test can do (an activity or callback task), with the states it waits in."""
        self._harness.run_through(self.arn, max_seconds=max_seconds)
        if self.status != "RUNNING":
            return self
        return self._jump(lambda: self.status != "RUNNING", "end", max_seconds)  # says where it is stuck

    def until(self, state: str, *, max_seconds: float = MAX_SECONDS) -> Run:
        """Jump the clock from timer to timer until the execution waits in ``state`` (say, for its
        activity or callback task); AssertionError if it ends or blocks elsewhere first."""
        def arrived() -> bool:
            if self.status != "RUNNING":
                raise AssertionError(f"the execution ended ({self.status}) before waiting in {state!r}; "
                                     f"path: {self.path}")
            return state in self.waiting()
        return self._jump(arrived, f"wait in {state!r}", max_seconds)

    def _jump(self, done: Callable[[], bool], goal: str, max_seconds: float) -> Run:
        harness, deadline = self._harness, self._harness.clock.now() + max_seconds
        harness.settle()
        while not done():
            due = harness.store.next_due()
            if due is None or due > deadline:
                raise AssertionError(f"the execution did not {goal}: it is {self.status}, waiting in "
                                     f"{self.waiting()} with no timer due"
                                     f"{' within the limit' if due is not None else ''}; path: {self.path}")
            harness.clock.advance(max(0.0, due - harness.clock.now()))
            harness.settle()
        return self

    def waiting(self) -> list[str]:
        """The states the execution waits in now (entered, not left)."""
        return [v.name for v in self.visits if not v.exited] if self.status == "RUNNING" else []

    # -- answering tasks -------------------------------------------------------------------------

    def task(self, state: str) -> tuple[str, Any]:
        """(task token, task input) of the activity or callback task the state ``state`` waits on."""
        token = self._open_token(state)
        harness = self._harness
        activity = harness.store.get_activity_task(token)
        if activity is not None and not activity.started:
            polled = harness.poll(activity.activity_arn)
            if polled is None or polled[0] != token:
                raise AssertionError(f"polling {activity.activity_arn} gave another execution's task first")
        record = harness.store.get_activity_task(token) or harness.store.get_dispatch(token)
        assert record is not None
        return token, json.loads(record.input)

    def succeed(self, state: str, output: Any = None) -> Run:
        """SendTaskSuccess for the task the state ``state`` waits on (an activity or a callback)."""
        self._harness.succeed(self.task(state)[0], {} if output is None else output)
        return self

    def fail(self, state: str, error: str | None = None, cause: str | None = None) -> Run:
        """SendTaskFailure for the task the state ``state`` waits on."""
        self._harness.fail(self.task(state)[0], error, cause)
        return self

    def heartbeat(self, state: str) -> Run:
        """SendTaskHeartbeat for the task the state ``state`` waits on."""
        self._harness.call(activities.send_heartbeat, taskToken=self.task(state)[0])
        self._harness.settle()
        return self

    def _open_token(self, state: str) -> str:
        store = self._harness.store
        for task in store.open_activity_tasks(limit=10_000):
            if task.execution_arn == self.arn and task.state_name == state:
                return task.token
        for callback in store.open_callbacks(limit=10_000):
            if callback.execution_arn == self.arn and callback.state_name == state:
                return callback.token
        raise AssertionError(f"{state!r} waits on no activity or callback task; the execution waits in "
                             f"{self.waiting()} ({self.status})")

    def close(self) -> None:
        """Drop what was read of the history (its visits link to each other, so they would wait for the
        cyclic collector); the run reads it again if asked."""
        if self._cache is not None:
            unlink(self._cache[2])
            self._cache = None

    def _record(self) -> ExecutionRecord:
        record = self._harness.store.get_execution(self.arn, with_run=False)
        if record is None:
            raise AssertionError(f"the execution {self.arn} does not exist")
        return record

    def _read(self) -> tuple[int, list[dict[str, Any]], list[Visit]]:
        stamp = self._record().event_count
        if self._cache is None or self._cache[0] != stamp:
            events = [e.to_api() for e in self._harness.store.get_events(self.arn)]
            self._cache = (stamp, events, read_visits(events))
        return self._cache

