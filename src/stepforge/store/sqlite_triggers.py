"""SQLite: schedules, event rules and targets, webhooks, and the executions they started
(the statements of :mod:`stepforge.store.trigger_sql`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stepforge.store.sqlite_db import SqliteSession, SqliteWriter
from stepforge.store.trigger_sql import TriggerSqlReads, TriggerSqlWrites


class SqliteTriggerReads(TriggerSqlReads, SqliteSession):
    """The reads of the trigger aggregate on SQLite."""

    def _statement(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._execute(sql, params)


class SqliteTriggerWrites(TriggerSqlWrites, SqliteTriggerReads, SqliteWriter):
    """The writes of the trigger aggregate on SQLite."""
