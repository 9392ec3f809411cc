"""The PostgreSQL store: one database shared by any number of nodes.

Each aggregate (``postgres_machines``, ``postgres_executions``, ``postgres_tasks``, ``postgres_maprun``,
``postgres_nodes``, and timers and signals here) is a reads class and a writes class over a
:class:`~stepforge.store.postgres_db.PostgresSession`, as for SQLite.

Claims of work: a batch takes due timers and queued signals only for executions it can lock. The
candidate rows are locked ``FOR UPDATE SKIP LOCKED``, then their executions' rows the same way; only
the work of executions this transaction locked is removed and returned. The others stay, for the
transaction (another node's batch) that holds them, which sees them once it commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from stepforge.asl.records import Signal
from stepforge.store.base import UnitOfWork
from stepforge.store.codec import decode_signal, encode_signal
from stepforge.store.postgres_db import PostgresDatabase, PostgresWriter
from stepforge.store.postgres_executions import PostgresExecutionReads, PostgresExecutionWrites
from stepforge.store.postgres_machines import PostgresMachineReads, PostgresMachineWrites
from stepforge.store.postgres_maprun import PostgresMapRunReads, PostgresMapRunWrites
from stepforge.store.postgres_nodes import PostgresNodeReads, PostgresNodeWrites
from stepforge.store.postgres_tasks import PostgresTaskReads, PostgresTaskWrites
from stepforge.store.postgres_triggers import PostgresTriggerReads, PostgresTriggerWrites
from stepforge.store.records import TimerRecord

__all__ = ["PostgresStore", "PostgresUnitOfWork"]


class PostgresTimerSignalReads(PostgresTaskReads):
    """The reads of timers and signals, and what an execution waits on (its open tasks too)."""

    def next_due(self) -> float | None:
        row = self._execute("SELECT MIN(due) FROM timers").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def pending_work(self, execution_arn: str) -> int:
        row = self._execute(
            "SELECT (SELECT COUNT(*) FROM signals WHERE execution_arn = %s) "
            "+ (SELECT COUNT(*) FROM timers WHERE execution_arn = %s) "
            "+ (SELECT COUNT(*) FROM map_runs WHERE execution_arn = %s AND status = 'RUNNING')",
            (execution_arn,) * 3).fetchone()
        return self._open_tasks_of(execution_arn) + (int(row[0]) if row else 0)


class PostgresTimerSignalWrites(PostgresTimerSignalReads, PostgresWriter):
    """The writes of timers and signals, and the claims of work."""

    def set_timer(self, timer: TimerRecord) -> None:
        self._execute("INSERT INTO timers (execution_arn, wait_id, kind, due) VALUES (%s, %s, %s, %s) "
                      "ON CONFLICT (execution_arn, wait_id, kind) DO UPDATE SET due = EXCLUDED.due",
                      (timer.execution_arn, timer.wait_id, timer.kind, timer.due))

    def cancel_timers(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        if wait_ids is None:
            self._execute("DELETE FROM timers WHERE execution_arn = %s", (execution_arn,))
            return
        waits = list(wait_ids)
        if waits:
            self._execute("DELETE FROM timers WHERE execution_arn = %s AND wait_id = ANY(%s)",
                          (execution_arn, waits))

    def due_timers(self, now: float, limit: int) -> list[TimerRecord]:
        if limit <= 0:
            return []
        rows = self._execute(
            "SELECT execution_arn, wait_id, kind, due FROM timers WHERE due <= %s ORDER BY due LIMIT %s "
            "FOR UPDATE SKIP LOCKED", (now, limit)).fetchall()
        held = self._hold({row[0] for row in rows})
        claimed = [row for row in rows if row[0] in held]
        if claimed:
            self._execute(
                "DELETE FROM timers t USING unnest(%s::text[], %s::bigint[], %s::text[]) AS c(arn, wait_id, kind) "
                "WHERE t.execution_arn = c.arn AND t.wait_id = c.wait_id AND t.kind = c.kind",
                ([row[0] for row in claimed], [row[1] for row in claimed], [row[2] for row in claimed]))
        return [TimerRecord(due, arn, wait_id, kind) for arn, wait_id, kind, due in claimed]

    def push_signal(self, execution_arn: str, signal: Signal | None) -> None:
        self._execute("INSERT INTO signals (execution_arn, signal) VALUES (%s, %s)",
                      (execution_arn, encode_signal(signal)))

    def pop_signals(self, limit: int) -> list[tuple[str, Signal | None]]:
        if limit <= 0:
            return []
        rows = self._execute("SELECT seq, execution_arn, signal FROM signals ORDER BY seq LIMIT %s "
                             "FOR UPDATE SKIP LOCKED", (limit,)).fetchall()
        held = self._hold({row[1] for row in rows})
        claimed = [row for row in rows if row[1] in held]
        if claimed:
            self._execute("DELETE FROM signals WHERE seq = ANY(%s)", ([row[0] for row in claimed],))
        return [(arn, decode_signal(text)) for _, arn, text in claimed]

    def _hold(self, arns: set[str]) -> set[str]:
        """Of these executions, those this transaction now holds until it ends: the ones it could lock
        at once, and the ones that do not exist (nothing to keep apart)."""
        if not arns:
            return set()
        wanted: list[Any] = sorted(arns)  # one lock order for every node
        locked = {row[0] for row in self._execute(
            "SELECT arn FROM executions WHERE arn = ANY(%s) ORDER BY arn FOR UPDATE SKIP LOCKED",
            (wanted,)).fetchall()}
        rest = [arn for arn in wanted if arn not in locked]
        if not rest:
            return locked
        existing = {row[0] for row in self._execute("SELECT arn FROM executions WHERE arn = ANY(%s)",
                                                    (rest,)).fetchall()}
        return locked | {arn for arn in rest if arn not in existing}


class PostgresUnitOfWork(PostgresMachineWrites, PostgresExecutionWrites, PostgresTaskWrites, PostgresMapRunWrites,
                         PostgresTimerSignalWrites, PostgresNodeWrites, PostgresTriggerWrites):
    """The :class:`~stepforge.store.base.UnitOfWork` of one PostgreSQL transaction."""

    exclusive = False  # other nodes' and threads' transactions run beside it


def _unit_of_work(database: PostgresDatabase, conn: psycopg.Connection[Any]) -> PostgresUnitOfWork:
    return PostgresUnitOfWork(database, conn)


class PostgresStore(PostgresDatabase, PostgresMachineReads, PostgresExecutionReads, PostgresMapRunReads,
                    PostgresTimerSignalReads, PostgresNodeReads, PostgresTriggerReads):
    """The Store protocol on one PostgreSQL database."""

    def transaction(self) -> AbstractContextManager[UnitOfWork]:
        return self._transaction(_unit_of_work)
