"""The embedded SQLite store: one file per deployment, WAL, ``synchronous=FULL`` by default.

:class:`SqliteStore` composes one class per aggregate (``sqlite_machines``, ``sqlite_executions``,
``sqlite_tasks``, ``sqlite_maprun``) over :class:`~stepforge.store.sqlite_db.SqliteDatabase`
(connections, transactions, migrations), and keeps timers and signals itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from stepforge.asl.records import Signal
from stepforge.store.codec import decode_signal, encode_signal
from stepforge.store.records import TimerRecord
from stepforge.store.sqlite_db import FILE_NAME
from stepforge.store.sqlite_executions import SqliteExecutions
from stepforge.store.sqlite_machines import SqliteMachines
from stepforge.store.sqlite_maprun import SqliteMapRuns
from stepforge.store.sqlite_tasks import SqliteTasks

__all__ = ["FILE_NAME", "SqliteStore"]


class SqliteStore(SqliteMachines, SqliteExecutions, SqliteTasks, SqliteMapRuns):
    """The Store protocol on one SQLite database file."""

    # -- timers and signals ----------------------------------------------------------------------

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
        with self.transaction():
            rows = self._execute(
                "SELECT execution_arn, wait_id, kind, due FROM timers WHERE due <= ? ORDER BY due LIMIT ?",
                (now, limit),
            ).fetchall()
            self._execute_many("DELETE FROM timers WHERE execution_arn = ? AND wait_id = ? AND kind = ?",
                               [row[:3] for row in rows])
        return [TimerRecord(due, arn, wait_id, kind) for arn, wait_id, kind, due in rows]

    def next_due(self) -> float | None:
        row = self._execute("SELECT MIN(due) FROM timers").fetchone()
        return None if row[0] is None else float(row[0])

    def push_signal(self, execution_arn: str, signal: Signal | None) -> None:
        self._execute("INSERT INTO signals (execution_arn, signal) VALUES (?, ?)",
                      (execution_arn, encode_signal(signal)))

    def pop_signals(self, limit: int) -> list[tuple[str, Signal | None]]:
        if limit <= 0:
            return []
        with self.transaction():
            rows = self._execute("SELECT seq, execution_arn, signal FROM signals ORDER BY seq LIMIT ?",
                                 (limit,)).fetchall()
            if rows:
                self._execute("DELETE FROM signals WHERE seq <= ?", (rows[-1][0],))
        return [(arn, decode_signal(text)) for _, arn, text in rows]

    def pending_work(self, execution_arn: str) -> int:
        total = self._open_tasks_of(execution_arn)
        for table in ("signals", "timers"):
            total += self._execute(f"SELECT COUNT(*) FROM {table} WHERE execution_arn = ?",
                                   (execution_arn,)).fetchone()[0]
        total += self._execute("SELECT COUNT(*) FROM map_runs WHERE execution_arn = ? AND status = 'RUNNING'",
                               (execution_arn,)).fetchone()[0]
        return int(total)
