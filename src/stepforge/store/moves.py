"""Row moves that go with a migration: data a released store kept in an older shape, rewritten in Python
(portable where each SQL dialect has its own JSON functions).

``MOVES[n]`` runs right after migration ``n``'s script, in the same transaction. Like migrations,
a released move is never edited.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol


class Execute(Protocol):
    def __call__(self, sql: str, params: Iterable[Any] = ...) -> Any: ...


#: How release 2 marked rows of activity_tasks that were no activity task.
_IN_FLIGHT = "stepforge:task:"
_WATCH = "stepforge:child-watch"
_WATCH_TOKEN = "stepforge-child:"
_CALLBACK = ".waitForTaskToken"


def move_3(execute: Execute) -> None:
    """Migration 3: in-flight markers -> task_dispatches, ``.sync`` watches -> child_watches, Map Run
    bodies -> map_run_items, and a Distributed Map wait's Map Run ARN from ``token`` to ``map_run_arn``."""
    _move_markers(execute)
    _move_map_run_items(execute)
    _move_map_run_waits(execute)


def _move_markers(execute: Execute) -> None:
    rows = execute("SELECT token, activity_arn, execution_arn, wait_id, input, scheduled, closed FROM activity_tasks "
                   "WHERE activity_arn = ? OR activity_arn LIKE ?", (_WATCH, _IN_FLIGHT + "%")).fetchall()
    for token, activity_arn, execution_arn, wait_id, text, scheduled, closed in rows:
        envelope = json.loads(text)
        if activity_arn == _WATCH:
            execute("INSERT INTO child_watches VALUES (?, ?, ?, ?, ?, ?)",
                    (token.removeprefix(_WATCH_TOKEN), execution_arn, wait_id, envelope.get("pattern", "sync"),
                     scheduled, closed))
            continue
        resource = activity_arn.removeprefix(_IN_FLIGHT)
        execute("INSERT INTO task_dispatches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (token, execution_arn, wait_id, resource, envelope.get("state", ""), envelope.get("child", ""),
                 json.dumps(envelope.get("input")), scheduled, int(resource.endswith(_CALLBACK)), closed))
    execute("DELETE FROM activity_tasks WHERE activity_arn = ? OR activity_arn LIKE ?", (_WATCH, _IN_FLIGHT + "%"))


def _move_map_run_items(execute: Execute) -> None:
    for arn, body in execute("SELECT arn, body FROM map_runs").fetchall():
        data = json.loads(body)
        inputs: list[str] = data.pop("inputs", [])
        children: list[str] = data.pop("children", [])
        statuses: list[str] = data.pop("statuses", [])
        results: list[Any] = data.pop("results", [])
        for index, text in enumerate(inputs):
            status = statuses[index] if index < len(statuses) else "PENDING"
            ended = status not in ("PENDING", "RUNNING")
            execute("INSERT INTO map_run_items VALUES (?, ?, ?, ?, ?, ?)",
                    (arn, index, text, children[index] if index < len(children) else None, status,
                     json.dumps(results[index]) if ended and index < len(results) else None))
        execute("UPDATE map_runs SET body = ?, status = ? WHERE arn = ?", (json.dumps(data), data["status"], arn))


def _move_map_run_waits(execute: Execute) -> None:
    rows = execute("SELECT arn, run FROM executions WHERE status = 'RUNNING' AND run LIKE ?",
                   ('%:mapRun:%',)).fetchall()  # only runs that name a Map Run
    for arn, text in rows:
        run = json.loads(text)
        moved = False
        for frame in run.get("frames", {}).values():
            wait = frame.get("wait")
            if wait and wait.get("kind") == "children" and wait.get("token"):
                wait["map_run_arn"], wait["token"] = wait["token"], ""
                moved = True
        if moved:
            execute("UPDATE executions SET run = ? WHERE arn = ?", (json.dumps(run, separators=(",", ":")), arn))


MOVES: dict[int, Callable[[Execute], None]] = {3: move_3}
