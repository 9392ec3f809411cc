"""PostgreSQL: Map Runs (settings and counts as a JSON body beside their keys) and their items, one row each."""

from __future__ import annotations

import json
from collections.abc import Iterable

from stepforge.store import cursors
from stepforge.store.codec import dumps
from stepforge.store.postgres_db import PostgresSession, PostgresWriter
from stepforge.store.records import MapRunItem, MapRunRecord, Page

_ITEM_COLUMNS = "map_run_arn, idx, input, child_arn, status, result, started, stopped"
_NEW_ITEM = "INSERT INTO map_run_items (map_run_arn, idx, input, status) VALUES (%s, %s, %s, 'PENDING')"


class PostgresMapRunReads(PostgresSession):
    """The reads of the Map Run aggregate (:class:`~stepforge.store.base.MapRunReads`)."""

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        row = self._execute("SELECT body FROM map_runs WHERE arn = %s", (arn,)).fetchone()
        return None if row is None else MapRunRecord(**json.loads(row[0]))

    def list_map_runs(self, execution_arn: str, *, after: str | None = None,
                      limit: int) -> Page[MapRunRecord]:
        sql, params = "SELECT body FROM map_runs WHERE execution_arn = %s", [execution_arn]
        if after is not None:
            sql += " AND (started, arn) > (%s, %s)"
            params += cursors.decode(after, float, str)
        rows = self._execute(sql + " ORDER BY started, arn LIMIT %s", (*params, limit + 1)).fetchall()
        found = [MapRunRecord(**json.loads(row[0])) for row in rows[:limit]]
        more = len(rows) > limit and found
        return Page(found, cursors.encode(found[-1].started, found[-1].arn) if more else None)

    def map_run_items(self, map_run_arn: str, *, status: str | None = None, after: int = -1,
                      limit: int) -> list[MapRunItem]:
        sql, params = f"SELECT {_ITEM_COLUMNS} FROM map_run_items WHERE map_run_arn = %s", [map_run_arn]
        if status is not None:
            sql += " AND status = %s"
            params.append(status)
        rows = self._execute(sql + " AND idx > %s ORDER BY idx LIMIT %s", (*params, after, limit)).fetchall()
        return [MapRunItem(*row) for row in rows]

    def map_run_item_of(self, child_arn: str) -> MapRunItem | None:
        row = self._execute(f"SELECT {_ITEM_COLUMNS} FROM map_run_items WHERE child_arn = %s",
                            (child_arn,)).fetchone()
        return None if row is None else MapRunItem(*row)

    def running_map_runs(self) -> list[MapRunRecord]:
        rows = self._execute("SELECT body FROM map_runs WHERE status = 'RUNNING'").fetchall()
        return [MapRunRecord(**json.loads(row[0])) for row in rows]


class PostgresMapRunWrites(PostgresMapRunReads, PostgresWriter):
    """The writes of the Map Run aggregate (:class:`~stepforge.store.base.MapRunWrites`)."""

    def get_map_run(self, arn: str) -> MapRunRecord | None:
        """Read in a unit of work, the Map Run's row stays locked until the transaction ends: children
        ending on two nodes at once update its counts one after the other, and neither is lost."""
        row = self._execute("SELECT body FROM map_runs WHERE arn = %s FOR UPDATE", (arn,)).fetchone()
        return None if row is None else MapRunRecord(**json.loads(row[0]))

    def insert_map_run(self, record: MapRunRecord, inputs: Iterable[str]) -> None:
        self._insert("INSERT INTO map_runs (arn, execution_arn, started, body, status) VALUES (%s, %s, %s, %s, %s)",
                     (record.arn, record.execution_arn, record.started, dumps(record), record.status))
        self._execute_many(_NEW_ITEM, ((record.arn, index, text) for index, text in enumerate(inputs)))

    def update_map_run(self, record: MapRunRecord) -> None:
        self._execute("UPDATE map_runs SET body = %s, status = %s WHERE arn = %s",
                      (dumps(record), record.status, record.arn))

    def update_map_run_item(self, item: MapRunItem) -> None:
        self._execute("UPDATE map_run_items SET child_arn = %s, status = %s, result = %s, started = %s, stopped = %s "
                      "WHERE map_run_arn = %s AND idx = %s",
                      (item.child_arn, item.status, item.result, item.started, item.stopped, item.map_run_arn,
                       item.index))

    def add_map_run_items(self, map_run_arn: str, first: int, inputs: Iterable[str]) -> None:
        self._execute_many(_NEW_ITEM, ((map_run_arn, index, text) for index, text in enumerate(inputs, first)))
