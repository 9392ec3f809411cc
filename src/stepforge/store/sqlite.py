"""The embedded SQLite store: one file per deployment, WAL, ``synchronous=FULL`` by default.

Each aggregate (``sqlite_machines``, ``sqlite_executions``, ``sqlite_tasks``, ``sqlite_maprun``,
``sqlite_nodes``, and timers and signals here) is a reads class and a writes class over a
:class:`~stepforge.store.sqlite_db.SqliteSession`. :class:`SqliteStore` composes the reads over the
database (each read on the calling thread's connection, outside any transaction);
:class:`SqliteUnitOfWork` composes reads and writes over the writer connection of one transaction.
The SQL is written once and runs on whichever connection its session holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager

from stepforge.asl.records import Signal
from stepforge.store.base import UnitOfWork
from stepforge.store.codec import decode_signal, encode_signal
from stepforge.store.records import TimerRecord
from stepforge.store.sqlite_db import FILE_NAME, SqliteDatabase, SqliteWriter
from stepforge.store.sqlite_executions import SqliteExecutionReads, SqliteExecutionWrites
from stepforge.store.sqlite_machines import SqliteMachineReads, SqliteMachineWrites
from stepforge.store.sqlite_maprun import SqliteMapRunReads, SqliteMapRunWrites
from stepforge.store.sqlite_nodes import SqliteNodeReads, SqliteNodeWrites
from stepforge.store.sqlite_tasks import SqliteTaskReads, SqliteTaskWrites
from stepforge.store.sqlite_triggers import SqliteTriggerReads, SqliteTriggerWrites

__all__ = ["FILE_NAME", "SqliteStore", "SqliteUnitOfWork"]


class SqliteTimerSignalReads(SqliteTaskReads):
    """The reads of timers and signals, and what an execution waits on (its open tasks too)."""

    def next_due(self) -> float | None:
        row = self._execute("SELECT MIN(due) FROM timers").fetchone()
        return None if row[0] is None else float(row[0])

    def pending_work(self, execution_arn: str) -> int:
        total = self._open_tasks_of(execution_arn)
        for table in ("signals", "timers"):
            total += self._execute(f"SELECT COUNT(*) FROM {table} WHERE execution_arn = ?",
                                   (execution_arn,)).fetchone()[0]
        total += self._execute("SELECT COUNT(*) FROM map_runs WHERE execution_arn = ? AND status = 'RUNNING'",
                               (execution_arn,)).fetchone()[0]
        return int(total)


class SqliteTimerSignalWrites(SqliteTimerSignalReads, SqliteWriter):
    """The writes of timers and signals."""

    def set_timer(self, timer: TimerRecord) -> None:
        self._execute("INSERT OR REPLACE INTO timers VALUES (?, ?, ?, ?)",
                      (timer.execution_arn, timer.wait_id, timer.kind, timer.due))

    def cancel_timers(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        if wait_ids is None:
            self._execute("DELETE FROM timers WHERE execution_arn = ?", (execution_arn,))
            return
        self._execute_many("DELETE FROM timers WHERE execution_arn = ? AND wait_id = ?",
                           [(execution_arn, wait_id) for wait_id in wait_ids])

    def due_timers(self, now: float, limit: int) -> list[TimerRecord]:
        rows = self._execute(
            "SELECT execution_arn, wait_id, kind, due FROM timers WHERE due <= ? ORDER BY due LIMIT ?",
            (now, limit),
        ).fetchall()
        if rows:
            self._execute_many("DELETE FROM timers WHERE execution_arn = ? AND wait_id = ? AND kind = ?",
                               [row[:3] for row in rows])
        return [TimerRecord(due, arn, wait_id, kind) for arn, wait_id, kind, due in rows]

    def push_signal(self, execution_arn: str, signal: Signal | None) -> None:
        self._execute("INSERT INTO signals (execution_arn, signal) VALUES (?, ?)",
                      (execution_arn, encode_signal(signal)))

    def pop_signals(self, limit: int) -> list[tuple[str, Signal | None]]:
        if limit <= 0:
            return []
        rows = self._execute("SELECT seq, execution_arn, signal FROM signals ORDER BY seq LIMIT ?",
                             (limit,)).fetchall()
        if rows:
            self._execute("DELETE FROM signals WHERE seq <= ?", (rows[-1][0],))
        return [(arn, decode_signal(text)) for _, arn, text in rows]


class SqliteUnitOfWork(SqliteMachineWrites, SqliteExecutionWrites, SqliteTaskWrites, SqliteMapRunWrites,
                       SqliteTimerSignalWrites, SqliteNodeWrites, SqliteTriggerWrites):
    """The :class:`~stepforge.store.base.UnitOfWork` of one SQLite transaction."""

    exclusive = True  # BEGIN IMMEDIATE: the writer's lock from its start


def _unit_of_work(database: SqliteDatabase, conn: sqlite3.Connection) -> SqliteUnitOfWork:
    return SqliteUnitOfWork(database, conn)


class SqliteStore(SqliteDatabase, SqliteMachineReads, SqliteExecutionReads, SqliteMapRunReads,
                  SqliteTimerSignalReads, SqliteNodeReads, SqliteTriggerReads):
    """The Store protocol on one SQLite database file."""

    def transaction(self) -> AbstractContextManager[UnitOfWork]:
        return self._transaction(_unit_of_work)

