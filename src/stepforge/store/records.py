"""The records a store keeps: state machines, executions, activities, activity tasks, timers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stepforge.asl.records import Run


@dataclass(slots=True)
class StateMachineRecord:
    arn: str
    name: str
    definition: str
    role_arn: str
    type: str
    created: float
    revision_id: str
    status: str = "ACTIVE"
    logging_configuration: dict[str, Any] = field(default_factory=lambda: {"level": "OFF", "includeExecutionData": False})
    tracing_configuration: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ExecutionRecord:
    arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    definition: str
    role_arn: str
    input: str
    started: float
    status: str = "RUNNING"
    stopped: float | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    run: Run = field(default_factory=Run)
    event_count: int = 0


@dataclass(slots=True)
class ActivityRecord:
    arn: str
    name: str
    created: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ActivityTaskRecord:
    """A scheduled activity task; ``token`` is what workers send back."""

    token: str
    activity_arn: str
    execution_arn: str
    wait_id: int
    input: str
    scheduled: float
    worker_name: str | None = None
    started: bool = False
    closed: bool = False


@dataclass(frozen=True, slots=True)
class TimerRecord:
    due: float
    execution_arn: str
    wait_id: int
    kind: str
