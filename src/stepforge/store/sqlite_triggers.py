"""SQLite: schedules, event rules and targets, webhooks, and the executions they started
(the statements of :mod:`stepforge.store.trigger_sql`). Rules are read by every execution that
starts or ends (are there any to tell?): their rows are kept until a commit changes them
(:mod:`stepforge.store.sqlite_cache`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stepforge.store.sqlite_cache import RULES
from stepforge.store.sqlite_db import SqliteSession, SqliteWriter
from stepforge.store.trigger_records import RuleRecord
from stepforge.store.trigger_sql import TriggerSqlReads, TriggerSqlWrites


class SqliteTriggerReads(TriggerSqlReads, SqliteSession):
    """The reads of the trigger aggregate on SQLite."""

    def _statement(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._execute(sql, params)

    def _rule_rows(self, bus: str, name_prefix: str | None, after: str | None, limit: int) -> Sequence[Any]:
        return self._cached(RULES, (bus, name_prefix, after, limit),
                            lambda: tuple(super(SqliteTriggerReads, self)._rule_rows(bus, name_prefix, after, limit)))


class SqliteTriggerWrites(TriggerSqlWrites, SqliteTriggerReads, SqliteWriter):
    """The writes of the trigger aggregate on SQLite."""

    def put_rule(self, record: RuleRecord) -> None:
        self.changed.add(RULES)
        super().put_rule(record)

    def delete_rule(self, arn: str) -> None:
        self.changed.add(RULES)
        super().delete_rule(arn)
