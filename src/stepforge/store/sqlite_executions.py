"""SQLite: executions (frames as JSON text) and their history (chunks of consecutive events)."""

from __future__ import annotations

import functools
import json
import time
from typing import Any

from stepforge.asl.records import Event, Run
from stepforge.store import cursors
from stepforge.store.base import ExecutionQuery
from stepforge.store.codec import decode_run, encode_events, encode_run
from stepforge.store.records import ExecutionRecord, Page
from stepforge.store.sqlite_db import SqliteSession, SqliteWriter

EVENTS_PER_CHUNK = 500

_EXECUTION_COLUMNS = ("arn, name, state_machine_arn, state_machine_name, definition_hash, role_arn, input, "
                      "started, status, stopped, output, error, cause, run, event_count, version_arn, alias_arn, "
                      "map_run_arn, redrive_count, redrive_date")
#: The same without the frames (``run``), which only the engine needs: lists and the API skip decoding them.
_SUMMARY_COLUMNS = _EXECUTION_COLUMNS.replace(", run,", ", NULL,")
#: The column each field of an :class:`ExecutionQuery` filters on (``redriven`` aside).
_FILTERS = (("state_machine_arn", "state_machine_arn"), ("map_run_arn", "map_run_arn"), ("status", "status"),
            ("version_arn", "version_arn"), ("alias_arn", "alias_arn"))


class SqliteExecutionReads(SqliteSession):
    """The reads of the execution aggregate (:class:`~stepforge.store.base.ExecutionReads`)."""

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

    def list_executions(self, query: ExecutionQuery, *, after: str | None = None,
                        limit: int) -> Page[ExecutionRecord]:
        where: list[str] = []
        params: list[Any] = []
        for field, column in _FILTERS:
            value = getattr(query, field)
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if query.redriven is not None:
            where.append("redrive_count > 0" if query.redriven else "redrive_count = 0")
        for bound, test in ((query.started_from, "started >= ?"), (query.started_to, "started <= ?"),
                            (query.name_contains, "instr(lower(name), lower(?)) > 0")):
            if bound is not None:
                where.append(test)
                params.append(bound)
        if after is not None:
            where.append("(started, rowid) < (?, ?)")
            params += cursors.decode(after, float, int)
        rows = self._execute(
            f"SELECT {_SUMMARY_COLUMNS}, rowid FROM executions WHERE {' AND '.join(where) or '1 = 1'} "
            "ORDER BY started DESC, rowid DESC LIMIT ?", (*params, limit + 1),
        ).fetchall()
        found = [self._execution(row[:-1]) for row in rows[:limit]]
        last = rows[limit - 1] if len(rows) > limit > 0 else None
        return Page(found, None if last is None else cursors.encode(last[7], last[-1]))

    def count_open_executions(self) -> int:
        """Counted at most once a second (the count is kept by the database, for every session): the
        limit it guards is a quota, not an exact bound."""
        now, database = time.monotonic(), self._database
        if now - database.open_counted[0] > 1.0:
            count = int(self._execute("SELECT COUNT(*) FROM executions WHERE status = 'RUNNING'").fetchone()[0])
            database.open_counted = (now, count)
        return database.open_counted[1]

    def get_events(self, execution_arn: str, after: int = 0, limit: int | None = None,
                   reverse: bool = False) -> list[Event]:
        if reverse:
            if after <= 0:
                after = 1 + (self._execute("SELECT MAX(last_id) FROM events WHERE execution_arn = ?",
                                           (execution_arn,)).fetchone()[0] or 0)
            low, high = max(1, after - (after if limit is None else limit)), after - 1
        else:
            low, high = after + 1, (1 << 62) if limit is None else after + limit
        if high < low:
            return []
        rows = self._execute(
            "SELECT body FROM events WHERE execution_arn = ? AND first_id <= ? AND last_id >= ? ORDER BY first_id",
            (execution_arn, high, low),
        ).fetchall()
        events = [Event(*fields) for (body,) in rows for fields in json.loads(body) if low <= fields[0] <= high]
        return events[::-1] if reverse else events


class SqliteExecutionWrites(SqliteExecutionReads, SqliteWriter):
    """The writes of the execution aggregate (:class:`~stepforge.store.base.ExecutionWrites`)."""

    def insert_execution(self, record: ExecutionRecord) -> None:
        self._insert(_INSERT, self._row(record))

    def insert_executions(self, records: list[ExecutionRecord]) -> None:
        """Deferred (see :class:`~stepforge.store.sqlite_db.SqliteWriter`): a batch's inserts are one statement."""
        rows = [self._row(record) for record in records]
        if rows:
            self._defer(_INSERT, rows, many=_inserts)

    def _row(self, record: ExecutionRecord) -> tuple[Any, ...]:
        """The values of an execution's row, its definition stored (once) on the way."""
        return (record.arn, record.name, record.state_machine_arn, record.state_machine_name,
                self._store_definition(record.definition), record.role_arn, record.input, record.started,
                record.status, record.stopped, record.output, record.error, record.cause, encode_run(record.run),
                record.event_count, record.version_arn, record.alias_arn, record.map_run_arn, record.redrive_count,
                record.redrive_date)

    def update_execution(self, record: ExecutionRecord) -> None:
        """Deferred (see :class:`~stepforge.store.sqlite_db.SqliteWriter`): a batch's updates are one statement."""
        self._defer(
            "UPDATE executions SET status = ?, stopped = ?, output = ?, error = ?, cause = ?, run = ?, "
            "event_count = ?, redrive_count = ?, redrive_date = ? WHERE arn = ?",
            [(record.status, record.stopped, record.output, record.error, record.cause, encode_run(record.run),
              record.event_count, record.redrive_count, record.redrive_date, record.arn)],
            many=_updates, key=9,
        )

    def append_events(self, execution_arn: str, events: list[Event]) -> None:
        """History is stored in chunks of consecutive events, one row each: a step of thousands of
        transitions costs a few inserts, not thousands."""
        rows = []
        for start in range(0, len(events), EVENTS_PER_CHUNK):
            chunk = events[start:start + EVENTS_PER_CHUNK]
            body = encode_events(chunk)
            rows.append((execution_arn, chunk[0].id, chunk[-1].id, body))
        self._defer(_EVENT_INSERT, rows, many=_event_inserts)


@functools.cache
def _inserts(count: int) -> str:
    """Insert ``count`` executions in one statement (a power of two: see ``SqliteWriter._flush``)."""
    return f"INSERT INTO executions ({_EXECUTION_COLUMNS}) VALUES " + ", ".join([f"({', '.join('?' * 20)})"] * count)


_INSERT = _inserts(1)


@functools.cache
def _event_inserts(count: int) -> str:
    """Insert ``count`` history chunks in one statement (a power of two: see ``SqliteWriter._flush``)."""
    return "INSERT INTO events VALUES " + ", ".join(["(?, ?, ?, ?)"] * count)


_EVENT_INSERT = _event_inserts(1)


@functools.cache
def _updates(count: int) -> str:
    """Update ``count`` executions in one statement (the values of each as ``update_execution`` gives them)."""
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * count)
    return ("UPDATE executions SET status = v.column1, stopped = v.column2, output = v.column3, error = v.column4, "
            "cause = v.column5, run = v.column6, event_count = v.column7, redrive_count = v.column8, "
            f"redrive_date = v.column9 FROM (VALUES {values}) AS v WHERE executions.arn = v.column10")
