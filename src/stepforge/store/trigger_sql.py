"""Schedules, event rules and targets, webhooks, and the executions they started, in SQL common to
SQLite and PostgreSQL: each backend's module (``sqlite_triggers``, ``postgres_triggers``) runs these
statements through its own session, PostgreSQL with its placeholders and its row claims.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from stepforge.store import cursors
from stepforge.store.codec import dumps
from stepforge.store.records import Page
from stepforge.store.trigger_records import (
    RuleRecord,
    ScheduleGroupRecord,
    ScheduleRecord,
    TargetRecord,
    TriggerStart,
    WebhookRecord,
)

SCHEDULE_COLUMNS = "arn, group_name, name, state, created, modified, body, next_firing, due"
RULE_COLUMNS = "arn, bus, name, state, created, body, next_firing, due"


def _upsert(table: str, columns: str, key: str) -> str:
    """``INSERT ... ON CONFLICT (key) DO UPDATE``: the same text on SQLite and PostgreSQL."""
    names = [c.strip() for c in columns.split(",")]
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in key.split(", "))
    return (f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' for _ in names)}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}")


def schedule(row: Any) -> ScheduleRecord:
    arn, group, name, state, created, modified, body, next_firing, due = row
    return ScheduleRecord(arn, group, name, state, created, modified, json.loads(body), next_firing, due)


def rule(row: Any) -> RuleRecord:
    arn, bus, name, state, created, body, next_firing, due = row
    return RuleRecord(arn, bus, name, state, created, json.loads(body), next_firing, due)


def _by_name(where: list[str], params: list[Any], name_prefix: str | None, after: str | None) -> None:
    """Add the conditions of a page by name: names starting with ``name_prefix``, after the cursor."""
    if name_prefix is not None:
        where.append("substr(name, 1, ?) = ?")
        params += [len(name_prefix), name_prefix]
    if after is not None:
        where.append("(name > ? OR (name = ? AND arn > ?))")
        name, arn = cursors.decode(after, str, str)
        params += [name, name, arn]


def _page(found: list[Any], limit: int) -> Page[Any]:
    more = len(found) > limit
    found = found[:limit]
    return Page(found, cursors.encode(found[-1].name, found[-1].arn) if more and found else None)


class TriggerSqlReads:
    """The reads of the trigger aggregate (:class:`~stepforge.store.trigger_base.TriggerReads`), in SQL
    that SQLite and PostgreSQL both run; a backend gives :meth:`_statement`."""

    #: What a due-rows query ends with: nothing here; a backend whose nodes share the rows claims them.
    _claim = ""

    def _statement(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Execute ``sql`` (``?`` placeholders) with ``params``; the backend's cursor."""
        raise NotImplementedError

    def get_schedule(self, arn: str) -> ScheduleRecord | None:
        row = self._statement(f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else schedule(row)

    def list_schedules(self, *, group: str | None = None, name_prefix: str | None = None,
                       state: str | None = None, after: str | None = None, limit: int) -> Page[ScheduleRecord]:
        where, params = ["1 = 1"], list[Any]()
        for column, value in (("group_name", group), ("state", state)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        _by_name(where, params, name_prefix, after)
        rows = self._statement(f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE {' AND '.join(where)} "
                               "ORDER BY name, arn LIMIT ?", (*params, limit + 1)).fetchall()
        return _page([schedule(row) for row in rows], limit)

    def due_schedules(self, now: float, limit: int) -> list[ScheduleRecord]:
        return [schedule(row) for row in self._due("schedules", SCHEDULE_COLUMNS, now, limit)]

    def get_schedule_group(self, name: str) -> ScheduleGroupRecord | None:
        row = self._statement("SELECT name, arn, created FROM schedule_groups WHERE name = ?", (name,)).fetchone()
        return None if row is None else ScheduleGroupRecord(*row)

    def list_schedule_groups(self) -> list[ScheduleGroupRecord]:
        rows = self._statement("SELECT name, arn, created FROM schedule_groups ORDER BY name").fetchall()
        return [ScheduleGroupRecord(*row) for row in rows]

    def get_rule(self, arn: str) -> RuleRecord | None:
        row = self._statement(f"SELECT {RULE_COLUMNS} FROM event_rules WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else rule(row)

    def list_rules(self, bus: str, *, name_prefix: str | None = None, after: str | None = None,
                   limit: int) -> Page[RuleRecord]:
        return _page([rule(row) for row in self._rule_rows(bus, name_prefix, after, limit)], limit)

    def _rule_rows(self, bus: str, name_prefix: str | None, after: str | None, limit: int) -> Sequence[Any]:
        """The rows of :meth:`list_rules` (one more than ``limit`` if there are more; a backend may keep
        them: see ``sqlite_triggers``)."""
        where, params = ["bus = ?"], list[Any]([bus])
        _by_name(where, params, name_prefix, after)
        return list(self._statement(f"SELECT {RULE_COLUMNS} FROM event_rules WHERE {' AND '.join(where)} "
                                    "ORDER BY name, arn LIMIT ?", (*params, limit + 1)).fetchall())

    def due_rules(self, now: float, limit: int) -> list[RuleRecord]:
        return [rule(row) for row in self._due("event_rules", RULE_COLUMNS, now, limit)]

    def _due(self, table: str, columns: str, now: float, limit: int) -> list[Any]:
        """The ENABLED rows of ``table`` due at ``now``, earliest first, with :attr:`_claim` appended."""
        return list(self._statement(f"SELECT {columns} FROM {table} WHERE state = 'ENABLED' AND due IS NOT NULL "
                                    f"AND due <= ? ORDER BY due LIMIT ?{self._claim}", (now, limit)).fetchall())

    def list_targets(self, rule_arn: str) -> list[TargetRecord]:
        rows = self._statement("SELECT target_id, body FROM event_targets WHERE rule_arn = ? ORDER BY target_id",
                               (rule_arn,)).fetchall()
        return [TargetRecord(rule_arn, target_id, json.loads(body)) for target_id, body in rows]

    def next_trigger_due(self) -> float | None:
        found = [self._statement(f"SELECT MIN(due) FROM {table} WHERE state = 'ENABLED' AND due IS NOT NULL")
                 .fetchone()[0] for table in ("schedules", "event_rules")]
        due = [float(value) for value in found if value is not None]
        return min(due) if due else None

    def get_webhook(self, name: str) -> WebhookRecord | None:
        row = self._statement("SELECT name, created, body FROM webhooks WHERE name = ?", (name,)).fetchone()
        return None if row is None else WebhookRecord(row[0], row[1], json.loads(row[2]))

    def list_webhooks(self) -> list[WebhookRecord]:
        rows = self._statement("SELECT name, created, body FROM webhooks ORDER BY name").fetchall()
        return [WebhookRecord(name, created, json.loads(body)) for name, created, body in rows]

    def trigger_starts(self, source_arn: str, *, limit: int) -> list[TriggerStart]:
        rows = self._statement("SELECT execution_arn, started FROM trigger_starts WHERE source_arn = ? "
                               "ORDER BY started DESC, execution_arn DESC LIMIT ?", (source_arn, limit)).fetchall()
        return [TriggerStart(source_arn, arn, started) for arn, started in rows]


class TriggerSqlWrites(TriggerSqlReads):
    """The writes of the trigger aggregate."""

    def put_schedule(self, record: ScheduleRecord) -> None:
        self._statement(_upsert("schedules", SCHEDULE_COLUMNS, "arn"),
                        (record.arn, record.group, record.name, record.state, record.created, record.modified,
                       dumps(record.body), record.next_firing, record.due))

    def delete_schedule(self, arn: str) -> None:
        self._statement("DELETE FROM schedules WHERE arn = ?", (arn,))

    def put_schedule_group(self, record: ScheduleGroupRecord) -> None:
        self._statement(_upsert("schedule_groups", "name, arn, created", "name"),
                        (record.name, record.arn, record.created))

    def delete_schedule_group(self, name: str) -> None:
        self._statement("DELETE FROM schedules WHERE group_name = ?", (name,))
        self._statement("DELETE FROM schedule_groups WHERE name = ?", (name,))

    def put_rule(self, record: RuleRecord) -> None:
        self._statement(_upsert("event_rules", RULE_COLUMNS, "arn"),
                        (record.arn, record.bus, record.name, record.state, record.created, dumps(record.body),
                       record.next_firing, record.due))

    def delete_rule(self, arn: str) -> None:
        self._statement("DELETE FROM event_targets WHERE rule_arn = ?", (arn,))
        self._statement("DELETE FROM event_rules WHERE arn = ?", (arn,))

    def put_target(self, record: TargetRecord) -> None:
        self._statement(_upsert("event_targets", "rule_arn, target_id, body", "rule_arn, target_id"),
                        (record.rule_arn, record.target_id, dumps(record.body)))

    def delete_target(self, rule_arn: str, target_id: str) -> None:
        self._statement("DELETE FROM event_targets WHERE rule_arn = ? AND target_id = ?", (rule_arn, target_id))

    def put_webhook(self, record: WebhookRecord) -> None:
        self._statement(_upsert("webhooks", "name, created, body", "name"),
                        (record.name, record.created, dumps(record.body)))

    def delete_webhook(self, name: str) -> None:
        self._statement("DELETE FROM webhooks WHERE name = ?", (name,))

    def add_trigger_start(self, start: TriggerStart) -> None:
        self._statement("INSERT INTO trigger_starts (source_arn, execution_arn, started) VALUES (?, ?, ?) "
                        "ON CONFLICT (source_arn, execution_arn) DO NOTHING",
                        (start.source_arn, start.execution_arn, start.started))
