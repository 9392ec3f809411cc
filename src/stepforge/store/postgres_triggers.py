"""PostgreSQL: schedules, event rules and targets, webhooks, and the executions they started.

The statements of ``sqlite_triggers`` with PostgreSQL's placeholders; in a unit of work, due
schedules and rules are claimed ``FOR UPDATE SKIP LOCKED``, so two nodes never fire the same one.
"""

from __future__ import annotations

import json
from typing import Any

from stepforge.store import cursors
from stepforge.store.codec import dumps
from stepforge.store.postgres_db import PostgresSession, PostgresWriter
from stepforge.store.records import Page
from stepforge.store.trigger_records import (
    RuleRecord,
    ScheduleGroupRecord,
    ScheduleRecord,
    TargetRecord,
    TriggerStart,
    WebhookRecord,
)

_SCHEDULE = "arn, group_name, name, state, created, modified, body, next_firing, due"
_RULE = "arn, bus, name, state, created, body, next_firing, due"


def _upsert(table: str, columns: str, key: str) -> str:
    """``INSERT ... ON CONFLICT (key) DO UPDATE``."""
    names = [c.strip() for c in columns.split(",")]
    updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in key.split(", "))
    return (f"INSERT INTO {table} ({columns}) VALUES ({', '.join('%s' for _ in names)}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}")


def _schedule(row: Any) -> ScheduleRecord:
    arn, group, name, state, created, modified, body, next_firing, due = row
    return ScheduleRecord(arn, group, name, state, created, modified, json.loads(body), next_firing, due)


def _rule(row: Any) -> RuleRecord:
    arn, bus, name, state, created, body, next_firing, due = row
    return RuleRecord(arn, bus, name, state, created, json.loads(body), next_firing, due)


def _page(found: list[Any], limit: int) -> Page[Any]:
    more = len(found) > limit
    found = found[:limit]
    return Page(found, cursors.encode(found[-1].name, found[-1].arn) if more and found else None)


class PostgresTriggerReads(PostgresSession):
    """The reads of the trigger aggregate (:class:`~stepforge.store.trigger_base.TriggerReads`)."""

    def get_schedule(self, arn: str) -> ScheduleRecord | None:
        row = self._execute(f"SELECT {_SCHEDULE} FROM schedules WHERE arn = %s", (arn,)).fetchone()
        return None if row is None else _schedule(row)

    def list_schedules(self, *, group: str | None = None, name_prefix: str | None = None,
                       state: str | None = None, after: str | None = None, limit: int) -> Page[ScheduleRecord]:
        where, params = ["1 = 1"], list[Any]()
        for column, value in (("group_name", group), ("state", state)):
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
        if name_prefix is not None:
            where.append("substr(name, 1, %s) = %s")
            params += [len(name_prefix), name_prefix]
        if after is not None:
            where.append("(name > %s OR (name = %s AND arn > %s))")
            name, arn = cursors.decode(after, str, str)
            params += [name, name, arn]
        rows = self._execute(f"SELECT {_SCHEDULE} FROM schedules WHERE {' AND '.join(where)} ORDER BY name, arn "
                             "LIMIT %s", (*params, limit + 1)).fetchall()
        return _page([_schedule(row) for row in rows], limit)

    def due_schedules(self, now: float, limit: int) -> list[ScheduleRecord]:
        rows = self._execute(f"SELECT {_SCHEDULE} FROM schedules WHERE state = 'ENABLED' AND due IS NOT NULL "
                             "AND due <= %s ORDER BY due LIMIT %s", (now, limit)).fetchall()
        return [_schedule(row) for row in rows]

    def get_schedule_group(self, name: str) -> ScheduleGroupRecord | None:
        row = self._execute("SELECT name, arn, created FROM schedule_groups WHERE name = %s", (name,)).fetchone()
        return None if row is None else ScheduleGroupRecord(*row)

    def list_schedule_groups(self) -> list[ScheduleGroupRecord]:
        rows = self._execute("SELECT name, arn, created FROM schedule_groups ORDER BY name").fetchall()
        return [ScheduleGroupRecord(*row) for row in rows]

    def get_rule(self, arn: str) -> RuleRecord | None:
        row = self._execute(f"SELECT {_RULE} FROM event_rules WHERE arn = %s", (arn,)).fetchone()
        return None if row is None else _rule(row)

    def list_rules(self, bus: str, *, name_prefix: str | None = None, after: str | None = None,
                   limit: int) -> Page[RuleRecord]:
        where, params = ["bus = %s"], list[Any]([bus])
        if name_prefix is not None:
            where.append("substr(name, 1, %s) = %s")
            params += [len(name_prefix), name_prefix]
        if after is not None:
            where.append("(name > %s OR (name = %s AND arn > %s))")
            name, arn = cursors.decode(after, str, str)
            params += [name, name, arn]
        rows = self._execute(f"SELECT {_RULE} FROM event_rules WHERE {' AND '.join(where)} ORDER BY name, arn "
                             "LIMIT %s", (*params, limit + 1)).fetchall()
        return _page([_rule(row) for row in rows], limit)

    def due_rules(self, now: float, limit: int) -> list[RuleRecord]:
        rows = self._execute(f"SELECT {_RULE} FROM event_rules WHERE state = 'ENABLED' AND due IS NOT NULL "
                             "AND due <= %s ORDER BY due LIMIT %s", (now, limit)).fetchall()
        return [_rule(row) for row in rows]

    def list_targets(self, rule_arn: str) -> list[TargetRecord]:
        rows = self._execute("SELECT target_id, body FROM event_targets WHERE rule_arn = %s ORDER BY target_id",
                             (rule_arn,)).fetchall()
        return [TargetRecord(rule_arn, target_id, json.loads(body)) for target_id, body in rows]

    def next_trigger_due(self) -> float | None:
        row = self._execute("SELECT LEAST((SELECT MIN(due) FROM schedules WHERE state = 'ENABLED'), "
                            "(SELECT MIN(due) FROM event_rules WHERE state = 'ENABLED'))").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def get_webhook(self, name: str) -> WebhookRecord | None:
        row = self._execute("SELECT name, created, body FROM webhooks WHERE name = %s", (name,)).fetchone()
        return None if row is None else WebhookRecord(row[0], row[1], json.loads(row[2]))

    def list_webhooks(self) -> list[WebhookRecord]:
        rows = self._execute("SELECT name, created, body FROM webhooks ORDER BY name").fetchall()
        return [WebhookRecord(name, created, json.loads(body)) for name, created, body in rows]

    def trigger_starts(self, source_arn: str, *, limit: int) -> list[TriggerStart]:
        rows = self._execute("SELECT execution_arn, started FROM trigger_starts WHERE source_arn = %s "
                             "ORDER BY started DESC, execution_arn DESC LIMIT %s", (source_arn, limit)).fetchall()
        return [TriggerStart(source_arn, arn, started) for arn, started in rows]


class PostgresTriggerWrites(PostgresTriggerReads, PostgresWriter):
    """The writes of the trigger aggregate."""

    def due_schedules(self, now: float, limit: int) -> list[ScheduleRecord]:
        """Claimed: the rows stay locked until the transaction ends, and another node's batch skips them."""
        rows = self._execute(f"SELECT {_SCHEDULE} FROM schedules WHERE state = 'ENABLED' AND due IS NOT NULL "
                             "AND due <= %s ORDER BY due LIMIT %s FOR UPDATE SKIP LOCKED", (now, limit)).fetchall()
        return [_schedule(row) for row in rows]

    def due_rules(self, now: float, limit: int) -> list[RuleRecord]:
        """Claimed as :meth:`due_schedules` are."""
        rows = self._execute(f"SELECT {_RULE} FROM event_rules WHERE state = 'ENABLED' AND due IS NOT NULL "
                             "AND due <= %s ORDER BY due LIMIT %s FOR UPDATE SKIP LOCKED", (now, limit)).fetchall()
        return [_rule(row) for row in rows]

    def put_schedule(self, record: ScheduleRecord) -> None:
        self._execute(_upsert("schedules", _SCHEDULE, "arn"),
                      (record.arn, record.group, record.name, record.state, record.created, record.modified,
                       dumps(record.body), record.next_firing, record.due))

    def delete_schedule(self, arn: str) -> None:
        self._execute("DELETE FROM schedules WHERE arn = %s", (arn,))

    def put_schedule_group(self, record: ScheduleGroupRecord) -> None:
        self._execute(_upsert("schedule_groups", "name, arn, created", "name"),
                      (record.name, record.arn, record.created))

    def delete_schedule_group(self, name: str) -> None:
        self._execute("DELETE FROM schedules WHERE group_name = %s", (name,))
        self._execute("DELETE FROM schedule_groups WHERE name = %s", (name,))

    def put_rule(self, record: RuleRecord) -> None:
        self._execute(_upsert("event_rules", _RULE, "arn"),
                      (record.arn, record.bus, record.name, record.state, record.created, dumps(record.body),
                       record.next_firing, record.due))

    def delete_rule(self, arn: str) -> None:
        self._execute("DELETE FROM event_targets WHERE rule_arn = %s", (arn,))
        self._execute("DELETE FROM event_rules WHERE arn = %s", (arn,))

    def put_target(self, record: TargetRecord) -> None:
        self._execute(_upsert("event_targets", "rule_arn, target_id, body", "rule_arn, target_id"),
                      (record.rule_arn, record.target_id, dumps(record.body)))

    def delete_target(self, rule_arn: str, target_id: str) -> None:
        self._execute("DELETE FROM event_targets WHERE rule_arn = %s AND target_id = %s", (rule_arn, target_id))

    def put_webhook(self, record: WebhookRecord) -> None:
        self._execute(_upsert("webhooks", "name, created, body", "name"),
                      (record.name, record.created, dumps(record.body)))

    def delete_webhook(self, name: str) -> None:
        self._execute("DELETE FROM webhooks WHERE name = %s", (name,))

    def add_trigger_start(self, start: TriggerStart) -> None:
        self._execute("INSERT INTO trigger_starts (source_arn, execution_arn, started) VALUES (%s, %s, %s) "
                      "ON CONFLICT (source_arn, execution_arn) DO NOTHING",
                      (start.source_arn, start.execution_arn, start.started))
