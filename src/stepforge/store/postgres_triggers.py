"""PostgreSQL: schedules, event rules and targets, webhooks, and the executions they started.

The statements of :mod:`stepforge.store.trigger_sql` with PostgreSQL's placeholders; in a unit of
work, due schedules and rules are claimed ``FOR UPDATE SKIP LOCKED``, so two nodes never fire the
same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stepforge.store.postgres_db import PostgresSession, PostgresWriter
from stepforge.store.trigger_sql import (
    TriggerSqlReads,
    TriggerSqlWrites,
)


class PostgresTriggerReads(TriggerSqlReads, PostgresSession):
    """The reads of the trigger aggregate on PostgreSQL."""

    def _statement(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._execute(sql.replace("?", "%s"), params)


class PostgresTriggerWrites(TriggerSqlWrites, PostgresTriggerReads, PostgresWriter):
    """The writes of the trigger aggregate on PostgreSQL."""

    #: Claimed: the due rows stay locked until the transaction ends, and another node's batch skips them.
    _claim = " FOR UPDATE SKIP LOCKED"
