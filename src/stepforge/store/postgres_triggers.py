"""PostgreSQL: schedules, event rules and targets, webhooks, and the executions they started.

The statements of :mod:`stepforge.store.trigger_sql` with PostgreSQL's placeholders; in a unit of
work, due schedules and rules are claimed ``FOR UPDATE SKIP LOCKED``, so two nodes never fire the
same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stepforge.store.postgres_db import PostgresSession, PostgresWriter
from stepforge.store.trigger_records import RuleRecord, ScheduleRecord
from stepforge.store.trigger_sql import (
    RULE_COLUMNS,
    SCHEDULE_COLUMNS,
    TriggerSqlReads,
    TriggerSqlWrites,
    rule,
    schedule,
)


class PostgresTriggerReads(TriggerSqlReads, PostgresSession):
    """The reads of the trigger aggregate on PostgreSQL."""

    def _statement(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._execute(sql.replace("?", "%s"), params)


class PostgresTriggerWrites(TriggerSqlWrites, PostgresTriggerReads, PostgresWriter):
    """The writes of the trigger aggregate on PostgreSQL."""

    def due_schedules(self, now: float, limit: int) -> list[ScheduleRecord]:
        """Claimed: the rows stay locked until the transaction ends, and another node's batch skips them."""
        rows = self._statement(f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE state = 'ENABLED' AND due IS NOT NULL "
                         "AND due <= ? ORDER BY due LIMIT ? FOR UPDATE SKIP LOCKED", (now, limit)).fetchall()
        return [schedule(row) for row in rows]

    def due_rules(self, now: float, limit: int) -> list[RuleRecord]:
        """Claimed as :meth:`due_schedules` are."""
        rows = self._statement(f"SELECT {RULE_COLUMNS} FROM event_rules WHERE state = 'ENABLED' AND due IS NOT NULL "
                         "AND due <= ? ORDER BY due LIMIT ? FOR UPDATE SKIP LOCKED", (now, limit)).fetchall()
        return [rule(row) for row in rows]
