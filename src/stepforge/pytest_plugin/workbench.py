"""The ``stepforge`` fixture's object: an in-process engine on a manual clock, with machines to run.

    def test_a_year_long_wait(stepforge):
        machine = stepforge.load("reminder.asl.yaml")
        stepforge.mock("Send", Return({"sent": True}))
        run = machine.run({"to": "ada"})               # a year of timers in milliseconds
        assert run.status == "SUCCEEDED" and run.seconds == 365 * 86400

Built on :class:`stepforge.testing.Harness` (memory store, :class:`~stepforge.engine.clock.ManualClock`,
task work inline in the engine's thread). The activities a definition names (their ARNs as written,
whatever the account) exist once it is loaded; Python functions are Lambda functions by name
(:meth:`StepForge.function`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from stepforge.pytest_plugin.definitions import definition_text, load_definition, read_document
from stepforge.pytest_plugin.mocking import CallbackServices, PluginMocks, responses_of, task_resources
from stepforge.pytest_plugin.runs import Run
from stepforge.service import executions, statemachines
from stepforge.store.base import Reads
from stepforge.store.records import ActivityRecord
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.functions import Handler
from stepforge.testing import ROLE, Harness

H = TypeVar("H", bound=Handler)
#: Called with (machine name, definition, history events) for each run when the workbench closes.
Recorder = Callable[[str, dict[str, Any], list[dict[str, Any]]], None]


class Machine:
    """A state machine created in the workbench; ``run``/``start`` execute it."""

    def __init__(self, bench: StepForge, name: str, arn: str, definition: dict[str, Any]) -> None:
        self._bench = bench
        self.name = name
        self.arn = arn
        self.definition = definition

    def __repr__(self) -> str:
        return f"<Machine {self.name}>"

    def start(self, value: Any = None, *, case: str | None = None, name: str | None = None) -> Run:
        """Start an execution and process it until it blocks (a timer, an activity, a callback) or ends.

        ``case`` runs a MockConfigFile test case (default: the test's ``stepforge_mock_case`` marker)."""
        return self._bench.start(self, value, case=case, name=name)

    def run(self, value: Any = None, *, case: str | None = None, name: str | None = None) -> Run:
        """Start an execution and run it to its end, jumping the clock from timer to timer."""
        return self.start(value, case=case, name=name).finish()


class StepForge:
    """One in-memory deployment under test: load machines, mock tasks, run executions, move time."""

    def __init__(self, *, start: float = 1_700_000_000.0, mock_config: Mapping[str, Any] | None = None,
                 case: str | None = None, recorder: Recorder | None = None,
                 buckets: Mapping[str, str | Path] | None = None) -> None:
        """``buckets`` maps bucket names to directories, as ``[s3.buckets]`` does: a Distributed Map's
        ItemReader reads them, its ResultWriter writes there."""
        tasks = TaskConfig(inline=True, buckets={name: str(root) for name, root in (buckets or {}).items()})
        self.harness = Harness(start, tasks=tasks)
        self.clock = self.harness.clock
        self.case = case
        self.runs: list[Run] = []
        self.machines: dict[str, Machine] = {}
        self._recorder = recorder
        self._resources = TaskResources(self.harness.store)
        self.mocks = PluginMocks(dict(mock_config) if mock_config else None, self._resources)
        dispatcher = self.harness.engine.dispatcher
        dispatcher.mocks = self.mocks
        dispatcher.services = CallbackServices(dispatcher.config, dispatcher.runner)

    # -- set-up ----------------------------------------------------------------------------------

    def load(self, source: str | Path | Mapping[str, Any], *, name: str | None = None,
             resource: str | None = None) -> Machine:
        """Create a state machine from an ASL file (JSON/YAML), a template resource (by logical id) or
        a dict. ``name`` defaults to the MockConfigFile's only state machine, else the file's stem."""
        definition = load_definition(source, resource=resource)
        text = definition_text(definition)
        name = name or self._default_name(source, resource)
        missing = [ActivityRecord(arn=arn, name=arn.rpartition(":")[2], created=self.clock.now())
                   for arn in _activities(text) if self.harness.store.get_activity(arn) is None]
        if missing:
            with self.harness.store.transaction() as tx:
                for record in missing:
                    tx.put_activity(record)
        created = self.harness.call(statemachines.create, name=name, definition=text, roleArn=ROLE)
        machine = Machine(self, name, str(created["stateMachineArn"]), definition)
        self.machines[name] = machine
        return machine

    def function(self, name: str, handler: H | None = None) -> Any:
        """Register ``handler(event, context)`` as the Lambda function ``name``; usable as a decorator."""
        def register(handler: H) -> H:
            self.harness.tasks.functions.add(name, handler)
            return handler
        return register(handler) if handler is not None else register

    def mock(self, state_or_resource: str, *responses: Any) -> None:
        """Answer a state's (or, for ``arn:...``, a Resource's) task with ``responses``, one per
        invocation: :class:`Return`, :class:`Throw`, or plain values (returned)."""
        self.mocks.add(state_or_resource, responses_of(responses))

    def mock_config(self, source: str | Path | Mapping[str, Any]) -> None:
        """Use a MockConfigFile (a path or its parsed document); Python mocks stay."""
        config = read_document(Path(source)) if not isinstance(source, Mapping) else dict(source)
        mocks = PluginMocks(config, self._resources)
        mocks.by_state, mocks.by_resource = self.mocks.by_state, self.mocks.by_resource
        self.mocks = self.harness.engine.dispatcher.mocks = mocks

    # -- time ------------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def advance(self, seconds: float) -> None:
        """Move the clock forward and process whatever became due, for every execution."""
        self.harness.advance(seconds)

    # -- executions ------------------------------------------------------------------------------

    def start(self, machine: Machine, value: Any, *, case: str | None = None, name: str | None = None) -> Run:
        """Start ``machine`` (on ``ARN#case`` for a MockConfigFile test case) and settle; see :meth:`Machine.start`."""
        case = case if case is not None else self.case
        params: dict[str, Any] = {"stateMachineArn": machine.arn + (f"#{case}" if case else ""),
                                  "input": json.dumps({} if value is None else value)}
        if name:
            params["name"] = name
        arn = str(self.harness.call(executions.start, **params)["executionArn"])
        run = Run(self.harness, arn, machine.name)
        self.runs.append(run)
        self.harness.settle()
        return run

    def close(self) -> None:
        """Hand every run's history to the recorder (coverage), then stop the engine's work and free
        the workbench (see :meth:`Harness.close`); its machines and runs are unusable after."""
        if self._recorder is not None:
            for run in self.runs:
                self._recorder(run.machine, self.machines[run.machine].definition, run.events)
        for run in self.runs:
            run.close()
        self.machines.clear()  # each machine refers back to this workbench
        self.harness.close()

    def _default_name(self, source: str | Path | Mapping[str, Any], resource: str | None) -> str:
        """The MockConfigFile's only machine, the template resource or the file's stem; a name this
        workbench already gave gets a number (``orders-2``)."""
        named = list(self.mocks.machines)
        stem = "machine" if isinstance(source, Mapping) else Path(source).name.split(".")[0]
        base = named[0] if len(named) == 1 else resource or re.sub(r"[^A-Za-z0-9_-]", "-", stem)[:70] or "machine"
        name, count = base, 1
        while name in self.machines:
            count += 1
            name = f"{base}-{count}"
        return name


class TaskResources:
    """The Task resources by state name of an execution's definition (for resource mocks), kept by
    definition text."""

    def __init__(self, store: Reads) -> None:
        self._store = store
        self._found: dict[str, dict[str, str]] = {}

    def __call__(self, execution_arn: str) -> Mapping[str, str]:
        record = self._store.get_execution(execution_arn, with_run=False)
        if record is None:
            return {}
        if record.definition not in self._found:
            self._found[record.definition] = task_resources(record.definition)
        return self._found[record.definition]


@lru_cache(maxsize=256)
def _activities(definition: str) -> tuple[str, ...]:
    """The ARNs of the activities a definition's Task states name (in any region and account); kept by
    text, as each test loads the same definitions again."""
    return tuple(sorted({resource for resource in task_resources(definition).values()
                         if resource.startswith("arn:aws:states:") and ":activity:" in resource}))
