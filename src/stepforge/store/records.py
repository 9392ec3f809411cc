"""The records a store keeps: state machines and their versions and aliases, executions, map runs,
activities, activity tasks, timers."""

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
    encryption_configuration: dict[str, Any] = field(default_factory=lambda: {"type": "AWS_OWNED_KEY"})
    next_version: int = 1  # version numbers are never reused, even after a version is deleted


@dataclass(slots=True)
class VersionRecord:
    """A published, immutable version of a state machine (``...:stateMachine:NAME:N``)."""

    arn: str
    machine_arn: str
    number: int
    definition: str
    role_arn: str
    type: str
    created: float
    revision_id: str
    description: str = ""
    logging_configuration: dict[str, Any] = field(default_factory=dict)
    tracing_configuration: dict[str, Any] = field(default_factory=dict)
    encryption_configuration: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AliasRecord:
    """An alias routing executions to one or two versions by weight (``...:stateMachine:NAME:ALIAS``)."""

    arn: str
    machine_arn: str
    name: str
    routing: list[dict[str, Any]]  # [{"stateMachineVersionArn": ..., "weight": ...}]
    created: float
    updated: float
    description: str = ""


@dataclass(slots=True)
class MapRunRecord:
    """A Distributed Map's run: its child executions' settings and counts."""

    arn: str
    execution_arn: str
    state_machine_arn: str
    started: float
    max_concurrency: int = 0
    tolerated_failure_count: int = 0
    tolerated_failure_percentage: float = 0.0
    status: str = "RUNNING"
    stopped: float | None = None
    item_counts: dict[str, int] = field(default_factory=dict)
    execution_counts: dict[str, int] = field(default_factory=dict)
    # how to run the items (see tasks/maprun.py): the parent's wait, the children's machine and inputs
    parent_wait: int = 0
    child_machine_arn: str = ""
    definition: str = ""
    role_arn: str = ""
    express: bool = False
    inputs: list[str] = field(default_factory=list)      # one JSON text per item
    children: list[str] = field(default_factory=list)    # child execution ARNs, in item order, as launched
    statuses: list[str] = field(default_factory=list)    # each launched child's status
    results: list[Any] = field(default_factory=list)     # each item's output (or Error/Cause), in item order


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
    version_arn: str | None = None
    alias_arn: str | None = None
    map_run_arn: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None


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
