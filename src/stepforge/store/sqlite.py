"""The embedded SQLite store: one file per deployment, WAL, ``synchronous=FULL`` by default.

Each thread gets its own connection. ``transaction()`` opens ``BEGIN IMMEDIATE`` (one writer at a
time, readers never blocked) and nests: inner blocks join the outer one, so a whole engine batch
commits at once. Calls outside a transaction commit on their own.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from stepforge.asl.records import Event, Run, Signal
from stepforge.store.codec import decode_run, decode_signal, dumps, encode_run, encode_signal
from stepforge.store.records import (
    ActivityRecord,
    ActivityTaskRecord,
    AliasRecord,
    ExecutionRecord,
    MapRunRecord,
    StateMachineRecord,
    TimerRecord,
    VersionRecord,
)
from stepforge.store.schema import MIGRATIONS

FILE_NAME = "stepforge.sqlite3"
EVENTS_PER_CHUNK = 500

_EXECUTION_COLUMNS = ("arn, name, state_machine_arn, state_machine_name, definition_hash, role_arn, input, "
                      "started, status, stopped, output, error, cause, run, event_count, version_arn, alias_arn, "
                      "map_run_arn, redrive_count, redrive_date")
#: The same without the frames (``run``), which only the engine needs: lists and the API skip decoding them.
_SUMMARY_COLUMNS = _EXECUTION_COLUMNS.replace(", run,", ", NULL,")


class SqliteStore:
    """The Store protocol on one SQLite database file."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        if self.path.suffix == "" or self.path.is_dir():
            self.path.mkdir(parents=True, exist_ok=True)
            self.path = self.path / FILE_NAME
        self.synchronous = synchronous
        self._local = threading.local()
        self._definitions: dict[str, str] = {}
        self._open_counted = (-10.0, 0)
        self._migrate()

    # -- connections and transactions ------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn, self._local.depth = conn, 0
        return conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self._connection()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
        finally:
            self._local.depth = 0

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: undo only this block's writes if it raises."""
        conn = self._connection()
        conn.execute("SAVEPOINT item")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO item")
            conn.execute("RELEASE item")
            raise
        conn.execute("RELEASE item")

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self._connection().execute(sql, tuple(params))

    def _migrate(self) -> None:
        with self.transaction():
            self._execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = self._execute("SELECT MAX(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
                for statement in filter(str.strip, script.split(";")):
                    self._execute(statement)
                self._execute("INSERT INTO schema_version (version) VALUES (?)", (number,))

    def schema_version(self) -> int:
        return int(self._execute("SELECT MAX(version) FROM schema_version").fetchone()[0])

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- definitions (content-addressed: many executions share one text) -------------------------

    def _store_definition(self, text: str) -> str:
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest not in self._definitions:
            self._execute("INSERT OR IGNORE INTO definitions (hash, text) VALUES (?, ?)", (digest, text))
            self._definitions[digest] = text
        return digest

    def _definition(self, digest: str) -> str:
        text = self._definitions.get(digest)
        if text is None:
            text = self._execute("SELECT text FROM definitions WHERE hash = ?", (digest,)).fetchone()[0]
            self._definitions[digest] = text
        return text

    # -- state machines --------------------------------------------------------------------------

    def put_state_machine(self, record: StateMachineRecord) -> None:
        with self.transaction():
            digest = self._store_definition(record.definition)
            self._execute(
                "INSERT OR REPLACE INTO state_machines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.arn, record.name, digest, record.role_arn, record.type, record.created,
                 record.revision_id, record.status, dumps(record.logging_configuration),
                 dumps(record.tracing_configuration), record.description, dumps(record.tags),
                 dumps(record.encryption_configuration), record.next_version),
            )

    def _machine(self, row: sqlite3.Row | tuple[Any, ...]) -> StateMachineRecord:
        (arn, name, digest, role_arn, type_, created, revision, status, logging, tracing, description,
         tags, encryption, next_version) = row
        return StateMachineRecord(
            arn=arn, name=name, definition=self._definition(digest), role_arn=role_arn, type=type_,
            created=created, revision_id=revision, status=status, logging_configuration=json.loads(logging),
            tracing_configuration=json.loads(tracing), description=description, tags=json.loads(tags),
            encryption_configuration=json.loads(encryption), next_version=next_version,
        )

    def get_state_machine(self, arn: str) -> StateMachineRecord | None:
        row = self._execute("SELECT * FROM state_machines WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else self._machine(row)

    def list_state_machines(self) -> list[StateMachineRecord]:
        rows = self._execute("SELECT * FROM state_machines ORDER BY created, arn").fetchall()
        return [self._machine(row) for row in rows]

    def delete_state_machine(self, arn: str) -> None:
        self._execute("DELETE FROM state_machines WHERE arn = ?", (arn,))

    # -- versions, aliases and map runs (each a JSON body beside its keys) ------------------------

    def put_version(self, record: VersionRecord) -> None:
        self._execute("INSERT OR REPLACE INTO state_machine_versions VALUES (?, ?, ?, ?)",
                      (record.arn, record.machine_arn, record.number, dumps(record)))

    def get_version(self, arn: str) -> VersionRecord | None:
        row = self._execute("SELECT body FROM state_machine_versions WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else VersionRecord(**json.loads(row[0]))

    def list_versions(self, machine_arn: str) -> list[VersionRecord]:
        rows = self._execute("SELECT body FROM state_machine_versions WHERE machine_arn = ? ORDER BY number DESC",
                             (machine_arn,)).fetchall()
        return [VersionRecord(**json.loads(row[0])) for row in rows]

    def delete_version(self, arn: str) -> None:
        self._execute("DELETE FROM state_machine_versions WHERE arn = ?", (arn,))

    def put_alias(self, record: AliasRecord) -> None:
        self._execute("INSERT OR REPLACE INTO state_machine_aliases VALUES (?, ?, ?, ?)",
                      (record.arn, record.machine_arn, record.created, dumps(record)))

    def get_alias(self, arn: str) -> AliasRecord | None:
        row = self._execute("SELECT body FROM state_machine_aliases WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else AliasRecord(**json.loads(row[0]))

    def list_aliases(self, machine_arn: str) -> list[AliasRecord]:
        rows = self._execute("SELECT body FROM state_machine_aliases WHERE machine_arn = ? ORDER BY created, arn",
                             (machine_arn,)).fetchall()
        return [AliasRecord(**json.loads(row[0])) for row in rows]

    def delete_alias(self, arn: str) -> None:
        self._execute("DELETE FROM state_machine_aliases WHERE arn = ?", (arn,))

    def put_map_run(self, record: MapRunRecord) -> None:
        self._execute("INSERT OR REPLACE INTO map_runs VALUES (?, ?, ?, ?)",
                      (record.arn, record.execution_arn, record.started, dumps(record)))

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        row = self._execute("SELECT body FROM map_runs WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else MapRunRecord(**json.loads(row[0]))

    def list_map_runs(self, execution_arn: str) -> list[MapRunRecord]:
        rows = self._execute("SELECT body FROM map_runs WHERE execution_arn = ? ORDER BY started, arn",
                             (execution_arn,)).fetchall()
        return [MapRunRecord(**json.loads(row[0])) for row in rows]

    # -- executions and history ------------------------------------------------------------------

    def insert_execution(self, record: ExecutionRecord) -> None:
        with self.transaction():
            digest = self._store_definition(record.definition)
            self._execute(
                f"INSERT INTO executions ({_EXECUTION_COLUMNS}) VALUES ({', '.join('?' * 20)})",
                (record.arn, record.name, record.state_machine_arn, record.state_machine_name, digest,
                 record.role_arn, record.input, record.started, record.status, record.stopped, record.output,
                 record.error, record.cause, encode_run(record.run), record.event_count, record.version_arn,
                 record.alias_arn, record.map_run_arn, record.redrive_count, record.redrive_date),
            )

    def update_execution(self, record: ExecutionRecord) -> None:
        self._execute(
            "UPDATE executions SET status = ?, stopped = ?, output = ?, error = ?, cause = ?, run = ?, "
            "event_count = ?, redrive_count = ?, redrive_date = ? WHERE arn = ?",
            (record.status, record.stopped, record.output, record.error, record.cause, encode_run(record.run),
             record.event_count, record.redrive_count, record.redrive_date, record.arn),
        )

    def _execution(self, row: tuple[Any, ...]) -> ExecutionRecord:
        (arn, name, machine_arn, machine_name, digest, role_arn, input_, started, status, stopped, output,
         error, cause, run, event_count, version_arn, alias_arn, map_run_arn, redrive_count, redrive_date) = row
        return ExecutionRecord(
            arn=arn, name=name, state_machine_arn=machine_arn, state_machine_name=machine_name,
            definition=self._definition(digest), role_arn=role_arn, input=input_, started=started,
            status=status, stopped=stopped, output=output, error=error, cause=cause,
            run=Run() if run is None else decode_run(run),
            event_count=event_count, version_arn=version_arn, alias_arn=alias_arn, map_run_arn=map_run_arn,
            redrive_count=redrive_count, redrive_date=redrive_date,
        )

    def get_execution(self, arn: str, *, with_run: bool = True) -> ExecutionRecord | None:
        columns = _EXECUTION_COLUMNS if with_run else _SUMMARY_COLUMNS
        row = self._execute(f"SELECT {columns} FROM executions WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else self._execution(row)

    def list_executions(self, state_machine_arn: str, status: str | None = None) -> list[ExecutionRecord]:
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM executions WHERE state_machine_arn = ?"
        params: list[Any] = [state_machine_arn]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        rows = self._execute(sql + " ORDER BY started DESC, rowid DESC", params).fetchall()
        return [self._execution(row) for row in rows]

    def count_open_executions(self) -> int:
        """Counted at most once a second: the limit it guards is a quota, not an exact bound."""
        now = time.monotonic()
        if now - self._open_counted[0] > 1.0:
            count = int(self._execute("SELECT COUNT(*) FROM executions WHERE status = 'RUNNING'").fetchone()[0])
            self._open_counted = (now, count)
        return self._open_counted[1]

    def list_open_executions(self) -> list[str]:
        rows = self._execute("SELECT arn FROM executions WHERE status = 'RUNNING' ORDER BY arn").fetchall()
        return [row[0] for row in rows]

    def append_events(self, execution_arn: str, events: list[Event]) -> None:
        """History is stored in chunks of consecutive events, one row each: a step of thousands of
        transitions costs a few inserts, not thousands."""
        rows = []
        for start in range(0, len(events), EVENTS_PER_CHUNK):
            chunk = events[start:start + EVENTS_PER_CHUNK]
            body = dumps([(e.id, e.previous_event_id, e.type, e.timestamp, e.details_key, e.details) for e in chunk])
            rows.append((execution_arn, chunk[0].id, chunk[-1].id, body))
        self._connection().executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)

    def get_events(self, execution_arn: str, offset: int = 0, limit: int | None = None,
                   reverse: bool = False) -> list[Event]:
        total = self._execute("SELECT MAX(last_id) FROM events WHERE execution_arn = ?",
                              (execution_arn,)).fetchone()[0] or 0
        count = total - offset if limit is None else min(limit, total - offset)
        if count <= 0:
            return []
        low, high = (total - offset - count + 1, total - offset) if reverse else (offset + 1, offset + count)
        rows = self._execute(
            "SELECT body FROM events WHERE execution_arn = ? AND first_id <= ? AND last_id >= ? ORDER BY first_id",
            (execution_arn, high, low),
        ).fetchall()
        events = [Event(*fields) for (body,) in rows for fields in json.loads(body) if low <= fields[0] <= high]
        return events[::-1] if reverse else events

    # -- activities and tasks --------------------------------------------------------------------

    def put_activity(self, record: ActivityRecord) -> None:
        self._execute("INSERT OR REPLACE INTO activities VALUES (?, ?, ?, ?)",
                      (record.arn, record.name, record.created, dumps(record.tags)))

    def get_activity(self, arn: str) -> ActivityRecord | None:
        row = self._execute("SELECT arn, name, created, tags FROM activities WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else ActivityRecord(row[0], row[1], row[2], json.loads(row[3]))

    def list_activities(self) -> list[ActivityRecord]:
        rows = self._execute("SELECT arn, name, created, tags FROM activities ORDER BY created, arn").fetchall()
        return [ActivityRecord(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def delete_activity(self, arn: str) -> None:
        self._execute("DELETE FROM activities WHERE arn = ?", (arn,))

    def add_task(self, task: ActivityTaskRecord) -> None:
        self._execute("INSERT INTO activity_tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (task.token, task.activity_arn, task.execution_arn, task.wait_id, task.input,
                       task.scheduled, task.worker_name, int(task.started), int(task.closed)))

    def poll_task(self, activity_arn: str, worker_name: str | None) -> ActivityTaskRecord | None:
        waiting = self._execute("SELECT 1 FROM activity_tasks WHERE activity_arn = ? AND closed = 0 AND started = 0 "
                                "LIMIT 1", (activity_arn,)).fetchone()
        if waiting is None:
            return None  # idle long polls must not take the write lock every few milliseconds
        with self.transaction():
            row = self._execute(
                "SELECT token, activity_arn, execution_arn, wait_id, input, scheduled FROM activity_tasks "
                "WHERE activity_arn = ? AND closed = 0 AND started = 0 ORDER BY scheduled, rowid LIMIT 1",
                (activity_arn,),
            ).fetchone()
            if row is None:
                return None
            self._execute("UPDATE activity_tasks SET started = 1, worker_name = ? WHERE token = ?",
                          (worker_name, row[0]))
        token, activity, execution, wait_id, input_, scheduled = row
        return ActivityTaskRecord(token, activity, execution, wait_id, input_, scheduled, worker_name, True)

    def get_task(self, token: str) -> ActivityTaskRecord | None:
        row = self._execute("SELECT * FROM activity_tasks WHERE token = ?", (token,)).fetchone()
        if row is None:
            return None
        token, activity, execution, wait_id, input_, scheduled, worker, started, closed = row
        return ActivityTaskRecord(token, activity, execution, wait_id, input_, scheduled, worker, bool(started),
                                  bool(closed))

    def open_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> list[ActivityTaskRecord]:
        rows = self._execute("SELECT token FROM activity_tasks WHERE execution_arn = ? AND closed = 0 ORDER BY rowid",
                             (execution_arn,)).fetchall()
        wanted = None if wait_ids is None else set(wait_ids)
        tasks = [self.get_task(token) for (token,) in rows]
        return [t for t in tasks if t is not None and (wanted is None or t.wait_id in wanted)]

    def open_tasks_of(self, activity_prefix: str) -> list[ActivityTaskRecord]:
        rows = self._execute(
            "SELECT token FROM activity_tasks WHERE activity_arn >= ? AND activity_arn < ? AND closed = 0 "
            "ORDER BY scheduled, rowid", (activity_prefix, activity_prefix + "\uffff"),
        ).fetchall()
        return [task for (token,) in rows if (task := self.get_task(token)) is not None]

    def remove_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        if wait_ids is None:
            self._execute("UPDATE activity_tasks SET closed = 1 WHERE execution_arn = ?", (execution_arn,))
            return
        self._connection().executemany(
            "UPDATE activity_tasks SET closed = 1 WHERE execution_arn = ? AND wait_id = ?",
            [(execution_arn, wait_id) for wait_id in wait_ids],
        )

    # -- timers and signals ----------------------------------------------------------------------

    def set_timer(self, timer: TimerRecord) -> None:
        self._execute("INSERT OR REPLACE INTO timers VALUES (?, ?, ?, ?)",
                      (timer.execution_arn, timer.wait_id, timer.kind, timer.due))

    def cancel_timers(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        if wait_ids is None:
            self._execute("DELETE FROM timers WHERE execution_arn = ?", (execution_arn,))
            return
        self._connection().executemany(
            "DELETE FROM timers WHERE execution_arn = ? AND wait_id = ?",
            [(execution_arn, wait_id) for wait_id in wait_ids],
        )

    def due_timers(self, now: float, limit: int) -> list[TimerRecord]:
        with self.transaction():
            rows = self._execute(
                "SELECT execution_arn, wait_id, kind, due FROM timers WHERE due <= ? ORDER BY due LIMIT ?",
                (now, limit),
            ).fetchall()
            self._connection().executemany(
                "DELETE FROM timers WHERE execution_arn = ? AND wait_id = ? AND kind = ?",
                [row[:3] for row in rows],
            )
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
        total = 0
        for table in ("signals", "timers", "activity_tasks"):
            closed = " AND closed = 0" if table == "activity_tasks" else ""
            total += self._execute(f"SELECT COUNT(*) FROM {table} WHERE execution_arn = ?{closed}",
                                   (execution_arn,)).fetchone()[0]
        return int(total)
