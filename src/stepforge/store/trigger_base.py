"""The trigger aggregate of the store protocol: schedules, event rules and targets, webhooks, and the
executions they started. :class:`~stepforge.store.base.Reads` and
:class:`~stepforge.store.base.UnitOfWork` include these protocols.

Lists are ordered by name (then ARN), paged with keyset cursors as every list of the store.
"""

from __future__ import annotations

from typing import Protocol

from stepforge.store.records import Page
from stepforge.store.trigger_records import (
    RuleRecord,
    ScheduleGroupRecord,
    ScheduleRecord,
    TargetRecord,
    TriggerStart,
    WebhookRecord,
)


class TriggerReads(Protocol):
    """What schedules, rules and webhooks read."""

    def get_schedule(self, arn: str) -> ScheduleRecord | None:
        """A schedule by ARN, or None."""

    def list_schedules(self, *, group: str | None = None, name_prefix: str | None = None,
                       state: str | None = None, after: str | None = None, limit: int) -> Page[ScheduleRecord]:
        """Schedules by (name, arn), filtered by group, name prefix and state when given."""

    def due_schedules(self, now: float, limit: int) -> list[ScheduleRecord]:
        """ENABLED schedules whose ``due`` is at or before ``now``, earliest first (at most ``limit``)."""

    def get_schedule_group(self, name: str) -> ScheduleGroupRecord | None:
        """A stored schedule group by name, or None."""

    def list_schedule_groups(self) -> list[ScheduleGroupRecord]:
        """Every stored schedule group, by name (Scheduler allows a few hundred)."""

    def get_rule(self, arn: str) -> RuleRecord | None:
        """A rule by ARN, or None."""

    def list_rules(self, bus: str, *, name_prefix: str | None = None, after: str | None = None,
                   limit: int) -> Page[RuleRecord]:
        """The rules of event bus ``bus`` by (name, arn), filtered by name prefix when given."""

    def due_rules(self, now: float, limit: int) -> list[RuleRecord]:
        """ENABLED rules with a schedule whose ``due`` is at or before ``now``, earliest first."""

    def list_targets(self, rule_arn: str) -> list[TargetRecord]:
        """A rule's targets by id."""

    def next_trigger_due(self) -> float | None:
        """The earliest ``due`` of any ENABLED schedule or scheduled rule, None if none is due ever."""

    def get_webhook(self, name: str) -> WebhookRecord | None:
        """A webhook by name, or None."""

    def list_webhooks(self) -> list[WebhookRecord]:
        """Every webhook, by name."""

    def trigger_starts(self, source_arn: str, *, limit: int) -> list[TriggerStart]:
        """The executions ``source_arn`` started, newest first (at most ``limit``)."""


class TriggerWrites(TriggerReads, Protocol):
    """What a unit of work writes for schedules, rules and webhooks."""

    def put_schedule(self, record: ScheduleRecord) -> None:
        """Insert or replace a schedule."""

    def delete_schedule(self, arn: str) -> None:
        """Delete a schedule (nothing if it is not stored)."""

    def put_schedule_group(self, record: ScheduleGroupRecord) -> None:
        """Insert or replace a schedule group."""

    def delete_schedule_group(self, name: str) -> None:
        """Delete a schedule group and every schedule in it."""

    def put_rule(self, record: RuleRecord) -> None:
        """Insert or replace a rule."""

    def delete_rule(self, arn: str) -> None:
        """Delete a rule and its targets."""

    def put_target(self, record: TargetRecord) -> None:
        """Insert or replace a rule's target."""

    def delete_target(self, rule_arn: str, target_id: str) -> None:
        """Delete one target of a rule (nothing if it is not stored)."""

    def put_webhook(self, record: WebhookRecord) -> None:
        """Insert or replace a webhook."""

    def delete_webhook(self, name: str) -> None:
        """Delete a webhook (nothing if it is not stored)."""

    def add_trigger_start(self, start: TriggerStart) -> None:
        """Record that ``start.source_arn`` started ``start.execution_arn``."""
