"""The compiled state tree: one small frozen class per ASL state type.

A definition compiles (see :mod:`stepforge.asl.compilation.compiler`) into a :class:`StateMachine`, an
immutable tree that Parallel branches and Map processors nest. Nothing here evaluates data: the
interpreter walks this tree, and :mod:`stepforge.asl.query.dataflow` applies the paths and templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stepforge.asl.compilation.choice import ChoiceRule
from stepforge.asl.compilation.items import ItemField
from stepforge.asl.compilation.variables import Assign
from stepforge.asl.query.fields import Query
from stepforge.asl.query.intrinsics import Intrinsic
from stepforge.asl.query.jsonpath import JsonPath, ReferencePath
from stepforge.asl.query.languages import JSONATA, JSONPATH
from stepforge.asl.query.payload import Template


@dataclass(frozen=True, slots=True)
class Retrier:
    """One entry of a state's ``Retry`` array."""

    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter: str = "NONE"

    def delay(self, attempt: int, draw: float) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based); ``draw`` in [0, 1) for jitter."""
        delay = self.interval_seconds * (self.backoff_rate**attempt)
        if self.max_delay_seconds is not None:
            delay = min(delay, self.max_delay_seconds)
        if self.jitter == "FULL":
            delay *= draw
        return float(delay)


@dataclass(frozen=True, slots=True)
class Catcher:
    """One entry of a state's ``Catch`` array."""

    error_equals: tuple[str, ...]
    next: str
    result_path: ReferencePath | None
    assign: Assign | None = None
    output: Query | None = None        # JSONata: the Catch's Output (default: $states.errorOutput)


@dataclass(frozen=True, slots=True)
class IntOrPath:
    """A number given literally or through a ``...Path`` field (TimeoutSeconds/TimeoutSecondsPath)."""

    value: float | None = None
    path: JsonPath | None = None
    field: str = ""
    query: Query | None = None         # JSONata: a ``{% %}`` expression


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """Fields every state has. ``next`` is None for terminal states (End, Succeed, Fail)."""

    name: str
    type: str
    next: str | None = None
    end: bool = False
    input_path: JsonPath | None = None
    output_path: JsonPath | None = None
    comment: str | None = None
    query_language: str = JSONPATH
    assign: Assign | None = None
    output: Query | None = None        # JSONata: the state's Output (default: result, else input)

    @property
    def jsonata(self) -> bool:
        return self.query_language == JSONATA

    @property
    def event_prefix(self) -> str:
        """The history event family: ``Pass`` -> ``PassStateEntered``."""
        return self.type


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultState(State):
    """A state that produces a result: Pass, Task, Parallel, Map."""

    parameters: Template | None = None
    result_selector: Template | None = None
    result_path: ReferencePath | None = None
    discard_result: bool = False
    arguments: Query | None = None     # JSONata: Arguments (Task, Parallel)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoverableState(ResultState):
    """A state with Retry and Catch: Task, Parallel, Map."""

    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PassState(ResultState):
    result: Any = None
    has_result: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskState(RecoverableState):
    resource: str
    timeout: IntOrPath | None = None
    heartbeat: IntOrPath | None = None
    credentials: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceState(State):
    choices: tuple[ChoiceRule, ...] = ()
    default: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitState(State):
    seconds: int | None = None
    seconds_path: JsonPath | None = None
    timestamp: str | None = None
    timestamp_path: JsonPath | None = None
    seconds_query: Query | None = None
    timestamp_query: Query | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SucceedState(State):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class FailState(State):
    error: str | None = None
    cause: str | None = None
    error_path: JsonPath | Intrinsic | None = None
    cause_path: JsonPath | Intrinsic | None = None
    error_query: Query | None = None
    cause_query: Query | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelState(RecoverableState):
    branches: tuple[StateMachine, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MapState(RecoverableState):
    processor: StateMachine
    items_path: JsonPath | None = None
    item_selector: Template | None = None
    items: Query | None = None         # JSONata: Items (default: the state input)
    selector_query: Query | None = None  # JSONata: ItemSelector
    max_concurrency: IntOrPath = field(default_factory=IntOrPath)
    tolerated_failure_count: IntOrPath | None = None
    tolerated_failure_percentage: IntOrPath | None = None
    label: str | None = None
    distributed: bool = False
    item_reader: ItemField | None = None     # Distributed Map: items from S3 or a local bucket
    item_batcher: ItemField | None = None    # Distributed Map: items in batches, one child per batch
    result_writer: ItemField | None = None   # Distributed Map: results to S3, or transformed


@dataclass(frozen=True, slots=True)
class StateMachine:
    """A compiled machine: the top level, a Parallel branch or a Map processor."""

    start_at: str
    states: Mapping[str, State]
    timeout_seconds: int | None = None
    comment: str | None = None

    def __getitem__(self, name: str) -> State:
        return self.states[name]

    def child(self, address: tuple[tuple[str, int], ...]) -> StateMachine:
        """The nested machine at ``address``: ((state name, branch index), ...); () is self."""
        machine = self
        for state_name, index in address:
            state = machine.states[state_name]
            if isinstance(state, ParallelState):
                machine = state.branches[index]
            elif isinstance(state, MapState):
                machine = state.processor
            else:
                raise KeyError(f"{state_name} has no nested machine")
        return machine
