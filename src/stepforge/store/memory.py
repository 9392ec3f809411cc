"""The memory store: the Store protocol in dictionaries, for tests, ``stepforge run`` and EXPRESS.

A transaction holds the store's one re-entrant lock and yields a :class:`MemoryUnitOfWork` over the
same tables; every write it makes logs how to undo itself, so a transaction or savepoint that raises
leaves the store as it found it — the same contract as SQLite. Records go in and come out as copies
(as they would through a database), rebuilt through their constructors (see :func:`_copy`); a read
of an execution without its frames (``with_run=False``) copies no frames at all. Reads on the store
that take the lock wait for an open transaction; the few that do not (single-key lookups) may see its
writes before it commits.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import operator
import pickle
import string
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from stepforge.asl.records import Event, Run, Signal
from stepforge.store import cursors
from stepforge.store.base import Conflict, ExecutionQuery, NestedTransaction, TransactionClosed, UnitOfWork
from stepforge.store.memory_triggers import MemoryTriggerReads, MemoryTriggerWrites, TriggerTables
from stepforge.store.records import (
    ActivityRecord,
    ActivityTaskRecord,
    AliasRecord,
    ChildWatchRecord,
    DispatchRecord,
    ExecutionRecord,
    MapRunItem,
    MapRunRecord,
    NodeRecord,
    Page,
    StateMachineRecord,
    TimerRecord,
    VersionRecord,
)

T = TypeVar("T")
K = TypeVar("K")
_MISSING: Any = object()


#: Values that are never changed in place: a copy shares them.
_ATOMS = frozenset({str, int, float, bool, type(None), bytes})
_ATOM_NAMES = frozenset({"str", "int", "float", "bool", "None", "bytes"})


def _copy(value: T) -> T:
    """A deep copy of a record (or of any value it holds) that shares nothing mutable with it.

    Records (dataclasses) are rebuilt field by field through their constructor, JSON containers item
    by item; anything else goes through pickle. Several times faster than pickling a whole record
    (whose dataclasses pickle through ``copyreg``), which matters for an execution's frames: the
    engine reads and writes them at every step."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is dict:
        return {key: _copy(item) for key, item in value.items()}  # type: ignore[attr-defined,return-value]
    if kind is list:
        return [_copy(item) for item in value]  # type: ignore[attr-defined,return-value]
    copier = _COPIERS.get(kind)
    if copier is None:
        copier = _COPIERS[kind] = _copier(kind)
    copied: T = copier(value)
    return copied


def _copier(kind: type) -> Callable[[Any], Any]:
    """How :func:`_copy` copies a value of a type other than a JSON container or an atom."""
    if kind is tuple:
        return lambda value: value if all(type(item) in _ATOMS for item in value) else tuple(map(_copy, value))
    if dataclasses.is_dataclass(kind) and not hasattr(kind, "__post_init__"):
        fields = dataclasses.fields(kind)
        if all(f.init and not f.kw_only for f in fields):
            return _record_copier(kind, fields)
    return lambda value: pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


def _record_copier(kind: type, fields: tuple[dataclasses.Field[Any], ...]) -> Callable[[Any], Any]:
    """A function that calls ``kind``'s constructor with each field of a record, copied unless its
    annotation says it holds an atom (``int``, ``str | None``, ...) — generated, as dataclasses
    generate ``__init__``, so that a copy costs one call."""
    arguments = ", ".join(f"r.{f.name}" if _holds_atoms(f) else f"copy(r.{f.name})" for f in fields)
    namespace: dict[str, Any] = {"build": kind, "copy": _copy}
    exec(f"def copier(r):\n    return build({arguments})\n", namespace)  # noqa: S102 - field names only
    copier: Callable[[Any], Any] = namespace["copier"]
    return copier


def _holds_atoms(field: dataclasses.Field[Any]) -> bool:
    annotation = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    return {part.strip() for part in annotation.split("|")} <= _ATOM_NAMES


_COPIERS: dict[type, Callable[[Any], Any]] = {}
_EXECUTION_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(ExecutionRecord)))


def _execution_copy(record: ExecutionRecord, *, with_run: bool = True) -> ExecutionRecord:
    """A copy of ``record`` (its fields other than ``run`` hold immutable values), with a copy of its
    frames or (``with_run=False``) none."""
    copied = ExecutionRecord(*_EXECUTION_FIELDS(record))
    copied.run = _copy(record.run) if with_run else Run()
    return copied


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _name_contains(name: str, part: str | None) -> bool:
    """Does ``name`` contain ``part``, ASCII letters case-insensitively (as SQLite's ``lower()``)?"""
    return part is None or part.translate(_ASCII_LOWER) in name.translate(_ASCII_LOWER)


def _page(rows: list[T], limit: int, key: Callable[[T], tuple[Any, ...]], *, copy: bool = True) -> Page[T]:
    found = rows[:limit]
    more = len(rows) > limit and found
    return Page([_copy(row) for row in found] if copy else found, cursors.encode(*key(found[-1])) if more else None)


class _Tables:
    """The memory store's data, shared by the store and each of its units of work."""

    def __init__(self) -> None:
        self.machines: dict[str, StateMachineRecord] = {}
        self.versions: dict[str, VersionRecord] = {}
        self.aliases: dict[str, AliasRecord] = {}
        self.executions: dict[str, ExecutionRecord] = {}
        self.inserted: dict[str, int] = {}          # execution ARN -> insertion sequence (the keyset tiebreak)
        self.by_machine: dict[str, list[str]] = {}
        self.events: dict[str, list[Event]] = {}
        self.open: dict[str, None] = {}
        self.activities: dict[str, ActivityRecord] = {}
        self.tasks: dict[str, ActivityTaskRecord] = {}
        self.dispatches: dict[str, DispatchRecord] = {}
        self.watches: dict[str, ChildWatchRecord] = {}
        # execution ARN -> (table, key) of each activity task, dispatch and child watch it held
        self.held: dict[str, list[tuple[dict[str, Any], str]]] = {}
        self.timers: list[tuple[float, int, TimerRecord]] = []
        self.armed: dict[tuple[str, int, str], int] = {}
        self.signals: deque[tuple[str, Signal | None]] = deque()
        self.map_runs: dict[str, MapRunRecord] = {}
        self.items: dict[str, list[MapRunItem]] = {}
        self.item_of: dict[str, tuple[str, int]] = {}
        self.nodes: dict[str, NodeRecord] = {}
        self.sequence = itertools.count()
        self.triggers = TriggerTables()


class _Ended:
    """The tables of a unit of work whose transaction has ended: any use raises TransactionClosed."""

    def __getattr__(self, name: str) -> Any:
        raise TransactionClosed("this unit of work's transaction has ended")


_ENDED = cast(_Tables, _Ended())


class _Held:
    """A unit of work's lock: its transaction holds the store's lock from its start to its end, so its
    reads and writes need not take it again (a re-entrant acquire costs microseconds, at every one)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_HELD = cast(threading.RLock, _Held())


class _MemoryReads(MemoryTriggerReads):
    """Every read, over the tables ``_db`` gives (the store's, or a live unit of work's)."""

    lock: threading.RLock
    #: The tables (an attribute, not a property: reads take it at every step of the engine).
    _db: _Tables

    @property
    def _triggers(self) -> TriggerTables:
        return self._db.triggers

    def _on_undo(self, undo: Callable[[], None]) -> None:
        """A read that tidies (``next_due`` drops disarmed timers) outside a transaction: nothing to undo."""

    def pending_work(self, execution_arn: str) -> int:
        with self.lock:
            signals = sum(1 for arn, _ in self._db.signals if arn == execution_arn)
            timers = sum(1 for key in self._db.armed if key[0] == execution_arn)
            tasks = sum(1 for table in (self._db.tasks, self._db.dispatches) for t in table.values()
                        if t.execution_arn == execution_arn and not t.closed)
            watches = sum(1 for w in self._db.watches.values() if w.parent_arn == execution_arn and not w.closed)
            runs = sum(1 for r in self._db.map_runs.values() if r.execution_arn == execution_arn and r.status == "RUNNING")
            return signals + timers + tasks + watches + runs

    # -- state machines, versions, aliases -------------------------------------------------------

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        return _copy(self._db.machines.get(arn))

    def list_state_machines(self, *, status: str | None = None, name_contains: str | None = None,
                            after: str | None = None, limit: int) -> Page[StateMachineRecord]:
        start = None if after is None else cursors.decode(after, float, str)
        with self.lock:
            rows = sorted((r for r in self._db.machines.values() if (status is None or r.status == status)
                           and _name_contains(r.name, name_contains)), key=lambda r: (r.created, r.arn))
        rows = [r for r in rows if start is None or (r.created, r.arn) > start]
        return _page(rows, limit, lambda r: (r.created, r.arn))

    def get_version(self, arn: str) -> VersionRecord | None:
        return _copy(self._db.versions.get(arn))

    def list_versions(self, machine_arn: str) -> list[VersionRecord]:
        with self.lock:
            found = [_copy(r) for r in self._db.versions.values() if r.machine_arn == machine_arn]
        return sorted(found, key=lambda r: -r.number)

    def get_alias(self, arn: str) -> AliasRecord | None:
        return _copy(self._db.aliases.get(arn))

    def list_aliases(self, machine_arn: str) -> list[AliasRecord]:
        with self.lock:
            found = [_copy(r) for r in self._db.aliases.values() if r.machine_arn == machine_arn]
        return sorted(found, key=lambda r: (r.created, r.arn))

    # -- executions and history ------------------------------------------------------------------

    def get_execution(self, arn: str, *, with_run: bool = True) -> ExecutionRecord | None:
        found = self._db.executions.get(arn)
        return None if found is None else _execution_copy(found, with_run=with_run)

    def list_executions(self, query: ExecutionQuery, *, after: str | None = None,
                        limit: int) -> Page[ExecutionRecord]:
        start = None if after is None else cursors.decode(after, float, int)
        with self.lock:
            if query.state_machine_arn is not None:
                candidates = [self._db.executions[a] for a in self._db.by_machine.get(query.state_machine_arn, [])]
            else:
                candidates = list(self._db.executions.values())
            rows = [r for r in candidates if self._selects(query, r)
                    and (start is None or (r.started, self._db.inserted[r.arn]) < start)]
            rows.sort(key=lambda r: (r.started, self._db.inserted[r.arn]), reverse=True)
            page = _page(rows, limit, lambda r: (r.started, self._db.inserted[r.arn]), copy=False)
            return Page([_execution_copy(r, with_run=False) for r in page.items], page.next)

    @staticmethod
    def _selects(query: ExecutionQuery, record: ExecutionRecord) -> bool:
        return ((query.map_run_arn is None or record.map_run_arn == query.map_run_arn)
                and (query.status is None or record.status == query.status)
                and (query.version_arn is None or record.version_arn == query.version_arn)
                and (query.alias_arn is None or record.alias_arn == query.alias_arn)
                and (query.redriven is None or (record.redrive_count > 0) == query.redriven)
                and (query.started_from is None or record.started >= query.started_from)
                and (query.started_to is None or record.started <= query.started_to)
                and _name_contains(record.name, query.name_contains))

    def count_open_executions(self) -> int:
        return len(self._db.open)

    def get_events(self, execution_arn: str, after: int = 0, limit: int | None = None,
                   reverse: bool = False) -> list[Event]:
        with self.lock:
            events = self._db.events.get(execution_arn, [])
            if not reverse:
                return events[after:] if limit is None else events[after:after + limit]
            end = len(events) if after <= 0 else min(after - 1, len(events))
            begin = 0 if limit is None else max(0, end - limit)
            return events[begin:end][::-1]

    # -- activities and tasks --------------------------------------------------------------------

    def get_activity(self, arn: str) -> ActivityRecord | None:
        return _copy(self._db.activities.get(arn))

    def list_activities(self, *, after: str | None = None, limit: int) -> Page[ActivityRecord]:
        start = None if after is None else cursors.decode(after, float, str)
        with self.lock:
            rows = sorted((r for r in self._db.activities.values() if start is None or (r.created, r.arn) > start),
                          key=lambda r: (r.created, r.arn))
            return _page(rows, limit, lambda r: (r.created, r.arn))

    def get_activity_task(self, token: str) -> ActivityTaskRecord | None:
        return _copy(self._db.tasks.get(token))

    def open_activity_tasks(self, limit: int) -> list[ActivityTaskRecord]:
        with self.lock:
            found = sorted((t for t in self._db.tasks.values() if not t.closed), key=lambda t: t.scheduled)
            return [_copy(t) for t in found[:limit]]

    def get_dispatch(self, token: str) -> DispatchRecord | None:
        return _copy(self._db.dispatches.get(token))

    def open_dispatches(self, *, after: str | None = None, limit: int) -> Page[DispatchRecord]:
        start = None if after is None else cursors.decode(after, float, str)
        with self.lock:
            found = sorted((d for d in self._db.dispatches.values() if not d.closed
                            and (start is None or (d.created, d.token) > start)), key=lambda d: (d.created, d.token))
            return _page(found, limit, lambda d: (d.created, d.token))

    def open_callbacks(self, limit: int) -> list[DispatchRecord]:
        with self.lock:
            found = sorted((d for d in self._db.dispatches.values() if not d.closed and d.callback),
                           key=lambda d: d.created)
            return [_copy(d) for d in found[:limit]]

    def get_child_watch(self, child_arn: str) -> ChildWatchRecord | None:
        return _copy(self._db.watches.get(child_arn))

    def open_child_watches(self, parent_arn: str, wait_ids: Iterable[int] | None = None) -> list[ChildWatchRecord]:
        if not self._db.held.get(parent_arn):  # nothing held (the engine asks at each cancelled wait)
            return []
        wanted = None if wait_ids is None else set(wait_ids)
        with self.lock:
            watches = self._db.watches
            held = (watches[key] for table, key in self._db.held.get(parent_arn, ()) if table is watches)
            found = [w for w in held if not w.closed and (wanted is None or w.wait_id in wanted)]
            return [_copy(w) for w in sorted(found, key=lambda w: w.created)]

    # -- timers and signals ----------------------------------------------------------------------

    def _is_armed(self, timer: TimerRecord, sequence: int) -> bool:
        return self._db.armed.get((timer.execution_arn, timer.wait_id, timer.kind)) == sequence

    def next_due(self) -> float | None:
        with self.lock:
            while self._db.timers:
                due, sequence, timer = self._db.timers[0]
                if self._is_armed(timer, sequence):
                    return due
                entry = heapq.heappop(self._db.timers)  # disarmed: a rollback that re-arms it pushes it back
                self._on_undo(lambda entry=entry: heapq.heappush(self._db.timers, entry))  # type: ignore[misc]
            return None

    # -- map runs --------------------------------------------------------------------------------

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        return _copy(self._db.map_runs.get(arn))

    def list_map_runs(self, execution_arn: str, *, after: str | None = None,
                      limit: int) -> Page[MapRunRecord]:
        start = None if after is None else cursors.decode(after, float, str)
        with self.lock:
            rows = sorted((r for r in self._db.map_runs.values() if r.execution_arn == execution_arn
                           and (start is None or (r.started, r.arn) > start)), key=lambda r: (r.started, r.arn))
            return _page(rows, limit, lambda r: (r.started, r.arn))

    def map_run_items(self, map_run_arn: str, *, status: str | None = None, after: int = -1,
                      limit: int) -> list[MapRunItem]:
        with self.lock:
            found: list[MapRunItem] = []
            for item in self._db.items.get(map_run_arn, [])[after + 1:]:
                if len(found) >= limit:
                    break
                if status is None or item.status == status:
                    found.append(_copy(item))
            return found

    def map_run_item_of(self, child_arn: str) -> MapRunItem | None:
        with self.lock:
            key = self._db.item_of.get(child_arn)
            return None if key is None else _copy(self._db.items[key[0]][key[1]])

    def running_map_runs(self) -> list[MapRunRecord]:
        with self.lock:
            return [_copy(r) for r in self._db.map_runs.values() if r.status == "RUNNING"]


    # -- nodes -----------------------------------------------------------------------------------

    def list_nodes(self) -> list[NodeRecord]:
        with self.lock:
            held: dict[str, int] = {}
            for dispatch in self._db.dispatches.values():
                if not dispatch.closed and dispatch.owner is not None:
                    held[dispatch.owner] = held.get(dispatch.owner, 0) + 1
            nodes = sorted(self._db.nodes.values(), key=lambda n: (n.started, n.id))
            return [dataclasses.replace(n, held=held.get(n.id, 0)) for n in nodes]


class MemoryUnitOfWork(MemoryTriggerWrites, _MemoryReads):
    """The :class:`~stepforge.store.base.UnitOfWork` of one memory transaction: reads and writes, each
    write logging its undo."""

    exclusive = True  # the store's lock, held until it ends

    def __init__(self, tables: _Tables) -> None:
        self.lock = _HELD
        self._db = tables
        self._undo: list[Callable[[], None]] = []

    def _live(self) -> _Tables:
        if self._db is _ENDED:
            raise TransactionClosed("this unit of work's transaction has ended")
        return self._db

    def _end(self) -> None:
        self._db = _ENDED
        self._undo.clear()  # its entries refer to this unit of work: a cycle the collector would have to find

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self._live()
        mark = len(self._undo)
        try:
            yield
        except BaseException:
            self._rollback(mark)
            raise

    def _rollback(self, mark: int) -> None:
        while len(self._undo) > mark:
            self._undo.pop()()

    def _on_undo(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    def _set(self, table: dict[K, Any], key: K, value: Any) -> None:
        old = table.get(key, _MISSING)
        table[key] = value
        self._on_undo(lambda: table.__setitem__(key, old) if old is not _MISSING else table.pop(key, None))

    def _drop(self, table: dict[K, Any], key: K) -> None:
        old = table.pop(key, _MISSING)
        if old is not _MISSING:
            self._on_undo(lambda: table.__setitem__(key, old))

    # -- state machines, versions, aliases -------------------------------------------------------

    def hold_state_machine(self, arn: str) -> StateMachineRecord | None:
        return self.get_state_machine(arn)  # one writer: nobody else changes it before this commits

    def put_state_machine(self, record: StateMachineRecord) -> None:
        with self.lock:
            stored, before = _copy(record), self._db.machines.get(record.arn)
            stored.next_version = max(stored.next_version, before.next_version if before else 0)
            self._set(self._db.machines, record.arn, stored)

    def delete_state_machine(self, arn: str) -> None:
        with self.lock:
            self._drop(self._db.machines, arn)

    def put_version(self, record: VersionRecord) -> None:
        with self.lock:
            self._set(self._db.versions, record.arn, _copy(record))

    def delete_version(self, arn: str) -> None:
        with self.lock:
            self._drop(self._db.versions, arn)

    def put_alias(self, record: AliasRecord) -> None:
        with self.lock:
            self._set(self._db.aliases, record.arn, _copy(record))

    def delete_alias(self, arn: str) -> None:
        with self.lock:
            self._drop(self._db.aliases, arn)

    # -- executions and history ------------------------------------------------------------------

    def insert_execution(self, record: ExecutionRecord) -> None:
        with self.lock:
            _new(self._db.executions, record.arn)
            arns = self._db.by_machine.setdefault(record.state_machine_arn, [])
            arns.append(record.arn)
            self._on_undo(lambda: _drop_last(arns))
            self._set(self._db.executions, record.arn, _execution_copy(record))
            self._set(self._db.inserted, record.arn, next(self._db.sequence))
            self._set(self._db.events, record.arn, [])
            if record.status == "RUNNING":
                self._set(self._db.open, record.arn, None)

    def insert_executions(self, records: list[ExecutionRecord]) -> None:
        for record in records:
            self.insert_execution(record)

    def update_execution(self, record: ExecutionRecord) -> None:
        with self.lock:
            self._set(self._db.executions, record.arn, _execution_copy(record))
            if record.status != "RUNNING":
                self._drop(self._db.open, record.arn)

    def append_events(self, execution_arn: str, events: list[Event]) -> None:
        with self.lock:
            history = self._db.events[execution_arn]
            size = len(history)
            history.extend(events)
            self._on_undo(lambda: history.__delitem__(slice(size, None)))

    # -- activities and tasks --------------------------------------------------------------------

    def put_activity(self, record: ActivityRecord) -> None:
        with self.lock:
            self._set(self._db.activities, record.arn, _copy(record))

    def delete_activity(self, arn: str) -> None:
        with self.lock:
            self._drop(self._db.activities, arn)

    def add_activity_task(self, task: ActivityTaskRecord) -> None:
        with self.lock:
            _new(self._db.tasks, task.token)
            self._set(self._db.tasks, task.token, _copy(task))
            self._hold(task.execution_arn, self._db.tasks, task.token)

    def poll_activity_task(self, activity_arn: str, worker_name: str | None) -> ActivityTaskRecord | None:
        with self.lock:
            waiting = [t for t in self._db.tasks.values() if t.activity_arn == activity_arn and not t.closed
                       and not t.started]
            if not waiting:
                return None
            polled = _copy(min(waiting, key=lambda t: t.scheduled))  # min keeps the first of equals
            polled.started, polled.worker_name = True, worker_name
            self._set(self._db.tasks, polled.token, polled)
            return _copy(polled)

    def add_dispatch(self, dispatch: DispatchRecord) -> None:
        with self.lock:
            _new(self._db.dispatches, dispatch.token)
            self._set(self._db.dispatches, dispatch.token, _copy(dispatch))
            self._hold(dispatch.execution_arn, self._db.dispatches, dispatch.token)

    def add_child_watch(self, watch: ChildWatchRecord) -> None:
        with self.lock:
            if watch.child_arn not in self._db.watches:
                self._set(self._db.watches, watch.child_arn, _copy(watch))
                self._hold(watch.parent_arn, self._db.watches, watch.child_arn)

    def _hold(self, execution_arn: str, table: dict[str, Any], key: str) -> None:
        rows = self._db.held.setdefault(execution_arn, [])
        rows.append((table, key))
        self._on_undo(lambda: _drop_last(rows))

    def close_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        if not self._db.held.get(execution_arn):
            return
        wanted = None if wait_ids is None else set(wait_ids)
        with self.lock:
            for table, key in list(self._db.held.get(execution_arn, ())):
                row = table[key]
                if not row.closed and (wanted is None or row.wait_id in wanted):
                    self._set(table, key, _closed(row))

    def close_task(self, token: str) -> bool:
        with self.lock:
            task, dispatch = self._db.tasks.get(token), self._db.dispatches.get(token)
            if task is not None and not task.closed:
                self._set(self._db.tasks, token, _closed(task))
                return True
            if dispatch is not None and not dispatch.closed:
                self._set(self._db.dispatches, token, _closed(dispatch))
                return True
            return False

    # -- timers and signals ----------------------------------------------------------------------

    def set_timer(self, timer: TimerRecord) -> None:
        with self.lock:
            sequence = next(self._db.sequence)
            self._set(self._db.armed, (timer.execution_arn, timer.wait_id, timer.kind), sequence)
            heapq.heappush(self._db.timers, (timer.due, sequence, timer))

    def cancel_timers(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        wanted = None if wait_ids is None else set(wait_ids)
        with self.lock:
            for key in [k for k in self._db.armed if k[0] == execution_arn and (wanted is None or k[1] in wanted)]:
                self._drop(self._db.armed, key)

    def due_timers(self, now: float, limit: int) -> list[TimerRecord]:
        with self.lock:
            due: list[TimerRecord] = []
            while self._db.timers and self._db.timers[0][0] <= now and len(due) < limit:
                entry = heapq.heappop(self._db.timers)
                _, sequence, timer = entry
                if self._is_armed(timer, sequence):
                    self._drop(self._db.armed, (timer.execution_arn, timer.wait_id, timer.kind))
                    self._on_undo(lambda entry=entry: heapq.heappush(self._db.timers, entry))  # type: ignore[misc]
                    due.append(timer)
            return due

    def push_signal(self, execution_arn: str, signal: Signal | None) -> None:
        with self.lock:
            self._db.signals.append((execution_arn, signal))
            self._on_undo(lambda: _drop_last(self._db.signals))

    def pop_signals(self, limit: int) -> list[tuple[str, Signal | None]]:
        with self.lock:
            if not self._db.signals:
                return []
            popped = [self._db.signals.popleft() for _ in range(min(limit, len(self._db.signals)))]
            self._on_undo(lambda: self._db.signals.extendleft(reversed(popped)))
            return popped

    # -- nodes -----------------------------------------------------------------------------------

    def register_node(self, node: NodeRecord, ttl: float, now: float) -> None:
        with self.lock:
            _new(self._db.nodes, node.id)
            self._set(self._db.nodes, node.id, dataclasses.replace(node, started=now, heartbeat=now,
                                                                   lease_expires=now + ttl, advanced=0, held=0))

    def renew_lease(self, node_id: str, token: str, ttl: float, now: float, advanced: int = 0) -> bool:
        with self.lock:
            node = self._db.nodes.get(node_id)
            if node is None or node.token != token or node.lease_expires <= now:
                return False
            self._set(self._db.nodes, node_id, dataclasses.replace(
                node, heartbeat=now, lease_expires=now + ttl, advanced=node.advanced + advanced))
            return True

    def release_node(self, node_id: str, now: float) -> None:
        with self.lock:
            node = self._db.nodes.get(node_id)
            if node is not None and node.lease_expires > now:
                self._set(self._db.nodes, node_id, dataclasses.replace(node, lease_expires=now))

    def claim_map_run(self, arn: str, node_id: str, now: float) -> MapRunRecord | None:
        with self.lock:
            record = self._db.map_runs.get(arn)
            if record is None:
                return None
            holder = self._db.nodes.get(record.io_node)
            if record.io_node not in ("", node_id) and holder is not None and holder.lease_expires > now:
                return None
            if record.io_node != node_id:
                self._set(self._db.map_runs, arn, dataclasses.replace(record, io_node=node_id))
            return _copy(self._db.map_runs[arn])

    def adopt_dispatches(self, node_id: str, now: float, limit: int) -> list[DispatchRecord]:
        with self.lock:
            dead = {n.id for n in self._db.nodes.values() if n.lease_expires <= now}
            orphans = sorted((d for d in self._db.dispatches.values()
                              if not d.closed and (d.owner is None or d.owner in dead)),
                             key=lambda d: (d.created, d.token))[:limit]
            for dispatch in orphans:
                self._set(self._db.dispatches, dispatch.token, dataclasses.replace(dispatch, owner=node_id))
            still_held = {d.owner for d in self._db.dispatches.values() if not d.closed}
            for gone in dead - still_held:
                self._drop(self._db.nodes, gone)
            return [dataclasses.replace(d, owner=node_id) for d in orphans]

    # -- map runs --------------------------------------------------------------------------------

    def insert_map_run(self, record: MapRunRecord, inputs: Iterable[str]) -> None:
        with self.lock:
            _new(self._db.map_runs, record.arn)
            self._set(self._db.map_runs, record.arn, _copy(record))
            self._set(self._db.items, record.arn, [MapRunItem(record.arn, i, text) for i, text in enumerate(inputs)])

    def update_map_run(self, record: MapRunRecord) -> None:
        with self.lock:
            self._set(self._db.map_runs, record.arn, _copy(record))

    def update_map_run_item(self, item: MapRunItem) -> None:
        with self.lock:
            items = self._db.items[item.map_run_arn]
            old = items[item.index]
            items[item.index] = _copy(item)
            self._on_undo(lambda: items.__setitem__(item.index, old))
            if item.child_arn is not None:
                self._set(self._db.item_of, item.child_arn, (item.map_run_arn, item.index))

    def add_map_run_items(self, map_run_arn: str, first: int, inputs: Iterable[str]) -> None:
        with self.lock:
            items = self._db.items[map_run_arn]
            size = len(items)
            items.extend(MapRunItem(map_run_arn, i, text) for i, text in enumerate(inputs, first))
            self._on_undo(lambda: items.__delitem__(slice(size, None)))


class MemoryStore(_MemoryReads):
    """Everything in process memory, with transactions that roll back."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._tables = self._db = _Tables()
        self._owner: int | None = None

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        if self._owner == threading.get_ident():
            raise NestedTransaction("a transaction is already open on this thread: pass its unit of work")
        with self.lock:
            self._owner = threading.get_ident()
            tx = MemoryUnitOfWork(self._tables)
            try:
                yield tx
            except BaseException:
                tx._rollback(0)
                raise
            finally:
                tx._end()
                self._owner = None

    def close(self) -> None:
        pass


def _new(table: dict[str, Any], key: str) -> None:
    if key in table:
        raise Conflict(f"{key} is already stored")


def _drop_last(items: list[Any] | deque[Any]) -> None:
    items.pop()


Held = TypeVar("Held", ActivityTaskRecord, DispatchRecord, ChildWatchRecord)


def _closed(held: Held) -> Held:
    closed = _copy(held)
    closed.closed = True
    return closed
