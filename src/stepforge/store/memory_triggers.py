"""The memory store's trigger aggregate: schedules, rules and targets, webhooks, and their starts.

Mixed into :class:`~stepforge.store.memory.MemoryStore` (reads) and its unit of work (writes), over
the :class:`TriggerTables` in the shared tables; writes log their undo as every memory write does.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from stepforge.store import cursors
from stepforge.store.records import Page
from stepforge.store.trigger_records import (
    RuleRecord,
    ScheduleGroupRecord,
    ScheduleRecord,
    TargetRecord,
    TriggerStart,
    WebhookRecord,
)

T = TypeVar("T")
_MISSING: Any = object()


def _copy(record: T) -> T:
    copied: T = pickle.loads(pickle.dumps(record, pickle.HIGHEST_PROTOCOL))
    return copied


class TriggerTables:
    """The trigger aggregate's dictionaries."""

    def __init__(self) -> None:
        self.schedules: dict[str, ScheduleRecord] = {}
        self.groups: dict[str, ScheduleGroupRecord] = {}
        self.rules: dict[str, RuleRecord] = {}
        self.targets: dict[tuple[str, str], TargetRecord] = {}
        self.webhooks: dict[str, WebhookRecord] = {}
        self.starts: dict[tuple[str, str], TriggerStart] = {}


def _named_page(rows: list[Any], after: str | None, limit: int) -> Page[Any]:
    start = None if after is None else cursors.decode(after, str, str)
    rows = sorted((r for r in rows if start is None or (r.name, r.arn) > start), key=lambda r: (r.name, r.arn))
    found = [_copy(r) for r in rows[:limit]]
    return Page(found, cursors.encode(found[-1].name, found[-1].arn) if len(rows) > limit and found else None)


def _due(rows: list[Any], now: float, limit: int) -> list[Any]:
    due = sorted((r for r in rows if r.state == "ENABLED" and r.due is not None and r.due <= now),
                 key=lambda r: r.due)
    return [_copy(r) for r in due[:limit]]


class MemoryTriggerReads:
    """The trigger reads over ``_triggers`` (the store's tables, or a live unit of work's)."""

    lock: threading.RLock

    @property
    def _triggers(self) -> TriggerTables:
        raise NotImplementedError

    def get_schedule(self, arn: str) -> ScheduleRecord | None:
        return _copy(self._triggers.schedules.get(arn))

    def list_schedules(self, *, group: str | None = None, name_prefix: str | None = None,
                       state: str | None = None, after: str | None = None, limit: int) -> Page[ScheduleRecord]:
        with self.lock:
            rows = [r for r in self._triggers.schedules.values()
                    if (group is None or r.group == group) and (state is None or r.state == state)
                    and (name_prefix is None or r.name.startswith(name_prefix))]
            return _named_page(rows, after, limit)

    def due_schedules(self, now: float, limit: int) -> list[ScheduleRecord]:
        with self.lock:
            return _due(list(self._triggers.schedules.values()), now, limit)

    def get_schedule_group(self, name: str) -> ScheduleGroupRecord | None:
        return _copy(self._triggers.groups.get(name))

    def list_schedule_groups(self) -> list[ScheduleGroupRecord]:
        with self.lock:
            return [_copy(g) for _, g in sorted(self._triggers.groups.items())]

    def get_rule(self, arn: str) -> RuleRecord | None:
        return _copy(self._triggers.rules.get(arn))

    def list_rules(self, bus: str, *, name_prefix: str | None = None, after: str | None = None,
                   limit: int) -> Page[RuleRecord]:
        with self.lock:
            rows = [r for r in self._triggers.rules.values()
                    if r.bus == bus and (name_prefix is None or r.name.startswith(name_prefix))]
            return _named_page(rows, after, limit)

    def due_rules(self, now: float, limit: int) -> list[RuleRecord]:
        with self.lock:
            return _due(list(self._triggers.rules.values()), now, limit)

    def list_targets(self, rule_arn: str) -> list[TargetRecord]:
        with self.lock:
            return [_copy(t) for key, t in sorted(self._triggers.targets.items()) if key[0] == rule_arn]

    def next_trigger_due(self) -> float | None:
        with self.lock:
            rows: list[ScheduleRecord | RuleRecord] = [*self._triggers.schedules.values(),
                                                       *self._triggers.rules.values()]
            due = [r.due for r in rows if r.state == "ENABLED" and r.due is not None]
            return min(due) if due else None

    def get_webhook(self, name: str) -> WebhookRecord | None:
        return _copy(self._triggers.webhooks.get(name))

    def list_webhooks(self) -> list[WebhookRecord]:
        with self.lock:
            return [_copy(w) for _, w in sorted(self._triggers.webhooks.items())]

    def trigger_starts(self, source_arn: str, *, limit: int) -> list[TriggerStart]:
        with self.lock:
            found = [s for key, s in self._triggers.starts.items() if key[0] == source_arn]
        found.sort(key=lambda s: (s.started, s.execution_arn), reverse=True)
        return [_copy(s) for s in found[:limit]]


class MemoryTriggerWrites(MemoryTriggerReads):
    """The trigger writes; ``_on_undo`` logs how to undo each (the unit of work provides it)."""

    def _on_undo(self, undo: Callable[[], None]) -> None:
        raise NotImplementedError

    def _put(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        with self.lock:
            old = table.get(key, _MISSING)
            table[key] = _copy(value)
            self._on_undo(lambda: table.__setitem__(key, old) if old is not _MISSING else table.pop(key, None))

    def _remove(self, table: dict[Any, Any], key: Any) -> None:
        with self.lock:
            old = table.pop(key, _MISSING)
            if old is not _MISSING:
                self._on_undo(lambda: table.__setitem__(key, old))

    def put_schedule(self, record: ScheduleRecord) -> None:
        self._put(self._triggers.schedules, record.arn, record)

    def delete_schedule(self, arn: str) -> None:
        self._remove(self._triggers.schedules, arn)

    def put_schedule_group(self, record: ScheduleGroupRecord) -> None:
        self._put(self._triggers.groups, record.name, record)

    def delete_schedule_group(self, name: str) -> None:
        with self.lock:
            for arn in [a for a, s in self._triggers.schedules.items() if s.group == name]:
                self._remove(self._triggers.schedules, arn)
            self._remove(self._triggers.groups, name)

    def put_rule(self, record: RuleRecord) -> None:
        self._put(self._triggers.rules, record.arn, record)

    def delete_rule(self, arn: str) -> None:
        with self.lock:
            for key in [k for k in self._triggers.targets if k[0] == arn]:
                self._remove(self._triggers.targets, key)
            self._remove(self._triggers.rules, arn)

    def put_target(self, record: TargetRecord) -> None:
        self._put(self._triggers.targets, (record.rule_arn, record.target_id), record)

    def delete_target(self, rule_arn: str, target_id: str) -> None:
        self._remove(self._triggers.targets, (rule_arn, target_id))

    def put_webhook(self, record: WebhookRecord) -> None:
        self._put(self._triggers.webhooks, record.name, record)

    def delete_webhook(self, name: str) -> None:
        self._remove(self._triggers.webhooks, name)

    def add_trigger_start(self, start: TriggerStart) -> None:
        key = (start.source_arn, start.execution_arn)
        if key not in self._triggers.starts:
            self._put(self._triggers.starts, key, start)
