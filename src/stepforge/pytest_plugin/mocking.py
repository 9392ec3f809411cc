"""Python mocks for Task states, on top of Step Functions Local's MockConfigFile test cases.

    stepforge.mock("Charge", Return({"ok": True}))                     # every call of the state
    stepforge.mock("Encode", Throw("Encoder.Busy"), Throw("Encoder.Busy"), Return({"id": 7}))  # per attempt
    stepforge.mock("arn:aws:lambda:us-east-1:000000000000:function:resize", Return({"size": 1}))  # per Resource

A mock names a state or (a string starting with ``arn:``) a Task's ``Resource``; state mocks win over
resource mocks, and both over the MockConfigFile test case the execution runs (``ARN#Case``), whose
lookup and per-invocation counting stay :class:`stepforge.tasks.mocks.Mocks`' own. Several
responses answer the first, second, ... invocation of the state in each execution (retries count);
past the last one the task fails with ``States.Runtime``, as a MockConfigFile does.

A callback task (``.waitForTaskToken``) that no mock answers waits for the test
(:class:`CallbackServices`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stepforge.asl.compilation.states import MapState, ParallelState, StateMachine, TaskState
from stepforge.engine.engine import compiled
from stepforge.tasks import passthrough
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.mocks import Mocks
from stepforge.tasks.resources import Target
from stepforge.tasks.services import Deliver, Services


@dataclass(frozen=True)
class Return:
    """A mocked task that succeeds with ``value`` as its result."""

    value: Any = None


class Throw(Exception):
    """A mocked task that fails with the error ``error`` (and ``cause``) — Retry and Catch see it."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


Response = Return | Throw


@dataclass
class Mock:
    """The responses of one state (or resource), invocation by invocation."""

    key: str
    responses: tuple[Response, ...]

    def outcome(self, invocation: int) -> Outcome:
        if invocation >= len(self.responses):
            return Outcome(error="States.Runtime", cause=f"The mock of {self.key!r} has {len(self.responses)} "
                                                         f"response(s) and no entry for invocation {invocation}.")
        response = self.responses[invocation]
        if isinstance(response, Throw):
            return Outcome(error=response.error, cause=response.cause)
        return Outcome(output=response.value)


def responses_of(values: tuple[Any, ...]) -> tuple[Response, ...]:
    """Mock responses from what a test passes: Return/Throw objects, or plain values (returned)."""
    if not values:
        raise ValueError("a mock needs at least one response: Return(value) or Throw(error)")
    return tuple(v if isinstance(v, (Return, Throw)) else Return(v) for v in values)


class PluginMocks(Mocks):
    """A dispatcher's mocks: Python mocks by state and by resource, then the MockConfigFile's test case.

    ``resources_of(execution_arn)`` gives the Task resources of the execution's definition by state
    name (looked up only when resource mocks exist)."""

    def __init__(self, config: dict[str, Any] | None, resources_of: Callable[[str], Mapping[str, str]]) -> None:
        super().__init__(config or {})
        self.by_state: dict[str, Mock] = {}
        self.by_resource: dict[str, Mock] = {}
        self._resources_of = resources_of
        self._calls: dict[tuple[str, str], int] = {}

    def add(self, key: str, responses: tuple[Response, ...]) -> None:
        table = self.by_resource if key.startswith("arn:") else self.by_state
        table[key] = Mock(key, responses)

    def mocks(self, execution_arn: str, state_name: str) -> bool:
        return self._python(execution_arn, state_name) is not None or super().mocks(execution_arn, state_name)

    def answer(self, execution_arn: str, state_name: str) -> Outcome | None:
        mock = self._python(execution_arn, state_name)
        if mock is None:
            return super().answer(execution_arn, state_name)
        key = (execution_arn, state_name)
        invocation = self._calls.get(key, 0)
        self._calls[key] = invocation + 1
        return mock.outcome(invocation)

    def forget(self, execution_arn: str) -> None:
        super().forget(execution_arn)
        for key in [k for k in self._calls if k[0] == execution_arn]:
            del self._calls[key]

    def _python(self, execution_arn: str, state_name: str) -> Mock | None:
        found = self.by_state.get(state_name)
        if found is None and self.by_resource:
            resource = self._resources_of(execution_arn).get(state_name)
            found = self.by_resource.get(resource) if resource is not None else None
        return found


def task_resources(definition: str) -> dict[str, str]:
    """Every Task state's Resource by state name, nested branches and processors included, in a
    definition's JSON text (compiled once per process, as the engine compiles it)."""
    found: dict[str, str] = {}
    _collect(compiled(definition), found)
    return found


def _collect(machine: StateMachine, found: dict[str, str]) -> None:
    for name, state in machine.states.items():
        if isinstance(state, TaskState):
            found[name] = state.resource
        elif isinstance(state, ParallelState):
            for branch in state.branches:
                _collect(branch, found)
        elif isinstance(state, MapState):
            _collect(state.processor, found)


class CallbackServices(Services):
    """Service integrations as the dispatcher has them, but a callback task (``.waitForTaskToken``)
    whose service this deployment does not reach (no pass-through endpoint) counts as sent: the task
    stays open, with its message as the task input, until the test sends its token back
    (``run.succeed(state, ...)``) or its timeout passes. Any other task goes on as configured."""

    def start(self, target: Target, resource: str, value: Any, deliver: Deliver,
              still_waiting: Callable[[], bool] = lambda: True) -> None:
        reachable = target.service == "http" or self.config.endpoint_for(passthrough.client_name(target))
        if target.waits_for_token and not reachable:
            return
        super().start(target, resource, value, deliver, still_waiting)
