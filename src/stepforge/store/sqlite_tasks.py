"""SQLite: activities and the tasks a wait holds (activity tasks, dispatches, child watches)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from stepforge.store import cursors
from stepforge.store.codec import dumps
from stepforge.store.records import ActivityRecord, ActivityTaskRecord, ChildWatchRecord, DispatchRecord, Page
from stepforge.store.sqlite_db import SqliteSession, SqliteWriter

_TASK_COLUMNS = "token, activity_arn, execution_arn, wait_id, input, scheduled, worker_name, started, closed, state_name"
_DISPATCH_COLUMNS = ("token, execution_arn, wait_id, resource, state_name, child_name, input, created, callback, closed, "
                     "owner")
_WATCH_COLUMNS = "child_arn, parent_arn, wait_id, pattern, created, closed"
#: The tables whose rows a wait holds, and the column naming the execution that waits.
_HELD = (("activity_tasks", "execution_arn"), ("task_dispatches", "execution_arn"), ("child_watches", "parent_arn"))


def _task(row: tuple[Any, ...]) -> ActivityTaskRecord:
    token, activity, execution, wait_id, input_, scheduled, worker, started, closed, state_name = row
    return ActivityTaskRecord(token, activity, execution, wait_id, input_, scheduled, worker, bool(started),
                              bool(closed), state_name)


def _dispatch(row: tuple[Any, ...]) -> DispatchRecord:
    token, execution, wait_id, resource, state_name, child_name, input_, created, callback, closed, owner = row
    return DispatchRecord(token, execution, wait_id, resource, state_name, child_name, input_, created,
                          bool(callback), bool(closed), owner)


def _watch(row: tuple[Any, ...]) -> ChildWatchRecord:
    child, parent, wait_id, pattern, created, closed = row
    return ChildWatchRecord(child, parent, wait_id, pattern, created, bool(closed))


class SqliteTaskReads(SqliteSession):
    """The reads of the task aggregate (:class:`~stepforge.store.base.TaskReads`)."""

    def get_activity(self, arn: str) -> ActivityRecord | None:
        row = self._execute("SELECT arn, name, created, tags FROM activities WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else ActivityRecord(row[0], row[1], row[2], json.loads(row[3]))

    def list_activities(self, *, after: str | None = None, limit: int) -> Page[ActivityRecord]:
        sql, params = "SELECT arn, name, created, tags FROM activities", list[Any]()
        if after is not None:
            sql += " WHERE (created, arn) > (?, ?)"
            params += cursors.decode(after, float, str)
        rows = self._execute(sql + " ORDER BY created, arn LIMIT ?", (*params, limit + 1)).fetchall()
        found = [ActivityRecord(r[0], r[1], r[2], json.loads(r[3])) for r in rows[:limit]]
        more = len(rows) > limit and found
        return Page(found, cursors.encode(found[-1].created, found[-1].arn) if more else None)

    # -- activity tasks --------------------------------------------------------------------------

    def get_activity_task(self, token: str) -> ActivityTaskRecord | None:
        row = self._execute(f"SELECT {_TASK_COLUMNS} FROM activity_tasks WHERE token = ?", (token,)).fetchone()
        return None if row is None else _task(row)

    def open_activity_tasks(self, limit: int) -> list[ActivityTaskRecord]:
        rows = self._execute(f"SELECT {_TASK_COLUMNS} FROM activity_tasks WHERE closed = 0 ORDER BY scheduled "
                             "LIMIT ?", (limit,)).fetchall()
        return [_task(row) for row in rows]

    # -- dispatches ------------------------------------------------------------------------------

    def get_dispatch(self, token: str) -> DispatchRecord | None:
        row = self._execute(f"SELECT {_DISPATCH_COLUMNS} FROM task_dispatches WHERE token = ?", (token,)).fetchone()
        return None if row is None else _dispatch(row)

    def open_dispatches(self, *, after: str | None = None, limit: int) -> Page[DispatchRecord]:
        sql, params = f"SELECT {_DISPATCH_COLUMNS} FROM task_dispatches WHERE closed = 0", list[Any]()
        if after is not None:
            sql += " AND (created, token) > (?, ?)"
            params += cursors.decode(after, float, str)
        rows = self._execute(sql + " ORDER BY created, token LIMIT ?", (*params, limit + 1)).fetchall()
        found = [_dispatch(row) for row in rows[:limit]]
        more = len(rows) > limit and found
        return Page(found, cursors.encode(found[-1].created, found[-1].token) if more else None)

    def open_callbacks(self, limit: int) -> list[DispatchRecord]:
        rows = self._execute(f"SELECT {_DISPATCH_COLUMNS} FROM task_dispatches WHERE closed = 0 AND callback = 1 "
                             "ORDER BY created LIMIT ?", (limit,)).fetchall()
        return [_dispatch(row) for row in rows]

    # -- child watches ---------------------------------------------------------------------------

    def get_child_watch(self, child_arn: str) -> ChildWatchRecord | None:
        """None without a read while no watch was ever added: every execution that ends asks."""
        if not self._database.watched:
            return None
        row = self._execute(f"SELECT {_WATCH_COLUMNS} FROM child_watches WHERE child_arn = ?",
                            (child_arn,)).fetchone()
        return None if row is None else _watch(row)

    def open_child_watches(self, parent_arn: str, wait_ids: Iterable[int] | None = None) -> list[ChildWatchRecord]:
        rows = self._execute(f"SELECT {_WATCH_COLUMNS} FROM child_watches WHERE parent_arn = ? AND closed = 0 "
                             "ORDER BY created, rowid", (parent_arn,)).fetchall()
        wanted = None if wait_ids is None else set(wait_ids)
        return [_watch(row) for row in rows if wanted is None or row[2] in wanted]

    # -- what a wait holds -----------------------------------------------------------------------

    def _open_tasks_of(self, execution_arn: str) -> int:
        return sum(int(self._execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ? AND closed = 0",
                                     (execution_arn,)).fetchone()[0]) for table, column in _HELD)


class SqliteTaskWrites(SqliteTaskReads, SqliteWriter):
    """The writes of the task aggregate (:class:`~stepforge.store.base.TaskWrites`)."""

    def put_activity(self, record: ActivityRecord) -> None:
        self._execute("INSERT OR REPLACE INTO activities VALUES (?, ?, ?, ?)",
                      (record.arn, record.name, record.created, dumps(record.tags)))

    def delete_activity(self, arn: str) -> None:
        self._execute("DELETE FROM activities WHERE arn = ?", (arn,))

    def add_activity_task(self, task: ActivityTaskRecord) -> None:
        self._insert(f"INSERT INTO activity_tasks ({_TASK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (task.token, task.activity_arn, task.execution_arn, task.wait_id, task.input,
                       task.scheduled, task.worker_name, int(task.started), int(task.closed), task.state_name))

    def poll_activity_task(self, activity_arn: str, worker_name: str | None) -> ActivityTaskRecord | None:
        waiting = self._execute("SELECT 1 FROM activity_tasks WHERE activity_arn = ? AND closed = 0 AND started = 0 "
                                "LIMIT 1", (activity_arn,)).fetchone()
        if waiting is None:
            return None  # the common case of an idle long poll: one index probe
        row = self._execute(
            f"SELECT {_TASK_COLUMNS} FROM activity_tasks "
            "WHERE activity_arn = ? AND closed = 0 AND started = 0 ORDER BY scheduled, rowid LIMIT 1",
            (activity_arn,),
        ).fetchone()
        if row is None:
            return None
        self._execute("UPDATE activity_tasks SET started = 1, worker_name = ? WHERE token = ?",
                      (worker_name, row[0]))
        task = _task(row)
        task.started, task.worker_name = True, worker_name
        return task

    def add_dispatch(self, dispatch: DispatchRecord) -> None:
        self._insert(f"INSERT INTO task_dispatches ({_DISPATCH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (dispatch.token, dispatch.execution_arn, dispatch.wait_id, dispatch.resource,
                       dispatch.state_name, dispatch.child_name, dispatch.input, dispatch.created,
                       int(dispatch.callback), int(dispatch.closed), dispatch.owner))

    def add_child_watch(self, watch: ChildWatchRecord) -> None:
        self._database.watched = True  # before the row exists (were it rolled back, a read would find none)
        self._execute(f"INSERT OR IGNORE INTO child_watches ({_WATCH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                      (watch.child_arn, watch.parent_arn, watch.wait_id, watch.pattern, watch.created,
                       int(watch.closed)))

    def close_tasks(self, execution_arn: str, wait_ids: Iterable[int] | None = None) -> None:
        waits = None if wait_ids is None else list(wait_ids)
        for table, column in _HELD:
            if waits is None:
                self._execute(f"UPDATE {table} SET closed = 1 WHERE {column} = ? AND closed = 0", (execution_arn,))
            else:
                self._execute_many(f"UPDATE {table} SET closed = 1 WHERE {column} = ? AND wait_id = ? AND closed = 0",
                                   [(execution_arn, wait_id) for wait_id in waits])

    def close_task(self, token: str) -> bool:
        for table in ("activity_tasks", "task_dispatches"):
            if self._execute(f"UPDATE {table} SET closed = 1 WHERE token = ? AND closed = 0", (token,)).rowcount:
                return True
        return False
