"""PostgreSQL: executions (frames as JSON text) and their history (chunks of consecutive events)."""

from __future__ import annotations

import json
import time
from typing import Any

from stepforge.asl.records import Event, Run
from stepforge.store import cursors
from stepforge.store.base import ExecutionQuery
from stepforge.store.codec import decode_run, encode_events, encode_run
from stepforge.store.postgres_db import PostgresSession, PostgresWriter
from stepforge.store.postgres_machines import ascii_lower, contains
from stepforge.store.records import ExecutionRecord, Page

EVENTS_PER_CHUNK = 500

_EXECUTION_COLUMNS = ("arn, name, state_machine_arn, state_machine_name, definition_hash, role_arn, input, "
                      "started, status, stopped, output, error, cause, run, event_count, version_arn, alias_arn, "
                      "map_run_arn, redrive_count, redrive_date")
#: The same without the frames (``run``), which only the engine needs: lists and the API skip decoding them.
_SUMMARY_COLUMNS = _EXECUTION_COLUMNS.replace(", run,", ", NULL,")
_FILTERS = ("state_machine_arn", "map_run_arn", "status", "version_arn", "alias_arn")


class PostgresExecutionReads(PostgresSession):
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
        row = self._execute(f"SELECT {columns} FROM executions WHERE arn = %s", (arn,)).fetchone()
        return None if row is None else self._execution(row)

    def list_executions(self, query: ExecutionQuery, *, after: str | None = None,
                        limit: int) -> Page[ExecutionRecord]:
        where: list[str] = []
        params: list[Any] = []
        for column in _FILTERS:
            value = getattr(query, column)
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
        if query.redriven is not None:
            where.append("redrive_count > 0" if query.redriven else "redrive_count = 0")
        for bound, test in ((query.started_from, "started >= %s"), (query.started_to, "started <= %s")):
            if bound is not None:
                where.append(test)
                params.append(bound)
        if query.name_contains is not None:
            where.append(contains("name"))
            params.append(ascii_lower(query.name_contains))
        if after is not None:
            where.append("(started, seq) < (%s, %s)")
            params += cursors.decode(after, float, int)
        rows = self._execute(
            f"SELECT {_SUMMARY_COLUMNS}, seq FROM executions WHERE {' AND '.join(where) or 'TRUE'} "
            "ORDER BY started DESC, seq DESC LIMIT %s", (*params, limit + 1),
        ).fetchall()
        found = [self._execution(row[:-1]) for row in rows[:limit]]
        last = rows[limit - 1] if len(rows) > limit > 0 else None
        return Page(found, None if last is None else cursors.encode(last[7], last[-1]))

    def count_open_executions(self) -> int:
        """Counted at most once a second per process: the limit it guards is a quota, not an exact bound."""
        now, database = time.monotonic(), self._database
        if now - database.open_counted[0] > 1.0:
            row = self._execute("SELECT COUNT(*) FROM executions WHERE status = 'RUNNING'").fetchone()
            database.open_counted = (now, int(row[0]) if row else 0)
        return database.open_counted[1]

    def get_events(self, execution_arn: str, after: int = 0, limit: int | None = None,
                   reverse: bool = False) -> list[Event]:
        if reverse:
            if after <= 0:
                row = self._execute("SELECT MAX(last_id) FROM events WHERE execution_arn = %s",
                                    (execution_arn,)).fetchone()
                after = 1 + int(row[0] or 0 if row else 0)
            low, high = max(1, after - (after if limit is None else limit)), after - 1
        else:
            low, high = after + 1, (1 << 62) if limit is None else after + limit
        if high < low:
            return []
        rows = self._execute(
            "SELECT body FROM events WHERE execution_arn = %s AND first_id <= %s AND last_id >= %s "
            "ORDER BY first_id", (execution_arn, high, low),
        ).fetchall()
        events = [Event(*fields) for (body,) in rows for fields in json.loads(body) if low <= fields[0] <= high]
        return events[::-1] if reverse else events


class PostgresExecutionWrites(PostgresExecutionReads, PostgresWriter):
    """The writes of the execution aggregate (:class:`~stepforge.store.base.ExecutionWrites`)."""

    def get_execution(self, arn: str, *, with_run: bool = True) -> ExecutionRecord | None:
        """Read with its frames, the execution's row stays locked until the transaction ends (another
        node's transaction that reads it so waits): no update of it is lost between nodes."""
        if not with_run:
            return super().get_execution(arn, with_run=False)
        row = self._execute(f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE arn = %s FOR UPDATE",
                            (arn,)).fetchone()
        return None if row is None else self._execution(row)

    def insert_execution(self, record: ExecutionRecord) -> None:
        digest = self._store_definition(record.definition)
        self._insert(
            f"INSERT INTO executions ({_EXECUTION_COLUMNS}) VALUES ({', '.join(['%s'] * 20)})",
            (record.arn, record.name, record.state_machine_arn, record.state_machine_name, digest,
             record.role_arn, record.input, record.started, record.status, record.stopped, record.output,
             record.error, record.cause, encode_run(record.run), record.event_count, record.version_arn,
             record.alias_arn, record.map_run_arn, record.redrive_count, record.redrive_date),
        )

    def insert_executions(self, records: list[ExecutionRecord]) -> None:
        for record in records:
            self.insert_execution(record)

    def update_execution(self, record: ExecutionRecord) -> None:
        self._execute(
            "UPDATE executions SET status = %s, stopped = %s, output = %s, error = %s, cause = %s, run = %s, "
            "event_count = %s, redrive_count = %s, redrive_date = %s WHERE arn = %s",
            (record.status, record.stopped, record.output, record.error, record.cause, encode_run(record.run),
             record.event_count, record.redrive_count, record.redrive_date, record.arn),
        )

    def append_events(self, execution_arn: str, events: list[Event]) -> None:
        """History is stored in chunks of consecutive events, one row each."""
        rows = []
        for start in range(0, len(events), EVENTS_PER_CHUNK):
            chunk = events[start:start + EVENTS_PER_CHUNK]
            body = encode_events(chunk)
            rows.append((execution_arn, chunk[0].id, chunk[-1].id, body))
        self._execute_many("INSERT INTO events (execution_arn, first_id, last_id, body) VALUES (%s, %s, %s, %s)",
                           rows)
