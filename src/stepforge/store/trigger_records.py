"""The records of what starts executions by itself: schedules, event rules and their targets, webhooks,
and the executions each of them started."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ScheduleRecord:
    """An EventBridge Scheduler schedule. ``body`` holds the API's fields (ScheduleExpression, Target,
    FlexibleTimeWindow, ...); ``next_firing`` is the nominal time of the next firing (it names the
    execution), ``due`` when it fires (``next_firing`` plus its flexible-window delay); both None when
    no firing is left."""

    arn: str
    group: str
    name: str
    state: str
    created: float
    modified: float
    body: dict[str, Any] = field(default_factory=dict)
    next_firing: float | None = None
    due: float | None = None


@dataclass(slots=True)
class ScheduleGroupRecord:
    """A schedule group (the ``default`` group exists without a row)."""

    name: str
    arn: str
    created: float


@dataclass(slots=True)
class RuleRecord:
    """An EventBridge rule on an event bus: an ``EventPattern`` (JSON text) and/or a
    ``ScheduleExpression`` in ``body``; ``next_firing``/``due`` as for a schedule (None without one)."""

    arn: str
    bus: str
    name: str
    state: str
    created: float
    body: dict[str, Any] = field(default_factory=dict)
    next_firing: float | None = None
    due: float | None = None


@dataclass(slots=True)
class TargetRecord:
    """One target of a rule, in PutTargets' shape (Id, Arn, Input/InputPath/InputTransformer, ...)."""

    rule_arn: str
    target_id: str
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class WebhookRecord:
    """An HTTP endpoint that starts executions of ``body["stateMachineArn"]`` (see ``service.webhooks``)."""

    name: str
    created: float
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class TriggerStart:
    """An execution that a schedule, rule or webhook (``source_arn``) started."""

    source_arn: str
    execution_arn: str
    started: float
