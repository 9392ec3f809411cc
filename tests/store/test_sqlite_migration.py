"""A store written by the last release (schema 1-2) opens with this code, migrates, and goes on.

The released database is built by writing, in release 2's shapes, the rows of a deployment this code
parked: an execution on an activity task, one on a ``.waitForTaskToken`` callback (an in-flight marker
in activity_tasks), a parent on a ``.sync`` child (a watch row in activity_tasks) and a Distributed
Map halfway (its items as JSON lists in the Map Run's body; its wait's Map Run ARN in ``token``).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from stepforge.service import executions
from stepforge.store.check import check_store
from stepforge.store.schema import MIGRATIONS
from stepforge.store.sqlite import FILE_NAME, SqliteStore
from stepforge.testing import Harness

START = 1_700_000_000.0
CALLBACK = "arn:aws:states:::lambda:invoke.waitForTaskToken"
SYNC = "arn:aws:states:::states:startExecution.sync"
_SAME_SHAPE = ("definitions", "state_machines", "executions", "events", "activities", "timers", "signals",
               "state_machine_versions", "state_machine_aliases")


def task(resource: str, **fields: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}}}


def distributed(activity: str) -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "MaxConcurrency": 1, "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **task(activity)}}}}


def park(tmp_path: Path, sent: list[str]) -> tuple[dict[str, str], str]:
    """Executions of each kind, parked on a SQLite store; their ARNs by kind, and the activity."""
    h = Harness(start=START, store=SqliteStore(tmp_path / "new"),
                functions={"mail": lambda event, context: sent.append(event["token"])})
    activity = h.create_activity("work")
    child_machine = h.create(task(activity))
    arns = {
        "activity": h.start(task(activity), {"n": 1}),
        "callback": h.start(task(CALLBACK, Parameters={"FunctionName": "mail", "Payload": {"token.$": "$$.Task.Token"}})),
        "parent": h.start(task(SYNC, Parameters={"StateMachineArn": child_machine, "Name": "kid", "Input": {"n": 2}})),
        "map": h.start(distributed(activity), [{"n": 3}, {"n": 4}]),
    }
    h.settle()
    h.store.close()
    return arns, activity


def write_release_2(source: Path, target: Path) -> None:
    """The rows of ``source`` as release 2 kept them, in a database with migrations 1-2 only."""
    db = sqlite3.connect(target)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("INSERT INTO schema_version VALUES (1), (2)")
    db.execute("ATTACH DATABASE ? AS new", (str(source),))
    for table in _SAME_SHAPE:
        db.execute(f"INSERT INTO main.{table} SELECT * FROM new.{table}")
    db.execute("INSERT INTO main.activity_tasks SELECT token, activity_arn, execution_arn, wait_id, input, "
               "scheduled, worker_name, started, closed FROM new.activity_tasks")
    for token, arn, wait_id, resource, state, child, text, created, closed in db.execute(
            "SELECT token, execution_arn, wait_id, resource, state_name, child_name, input, created, closed "
            "FROM new.task_dispatches").fetchall():
        envelope = json.dumps({"state": state, "child": child, "input": json.loads(text)})
        db.execute("INSERT INTO main.activity_tasks VALUES (?, ?, ?, ?, ?, ?, NULL, 0, ?)",
                   (token, "stepforge:task:" + resource, arn, wait_id, envelope, created, closed))
    for child, parent, wait_id, pattern, created, closed in db.execute(
            "SELECT child_arn, parent_arn, wait_id, pattern, created, closed FROM new.child_watches").fetchall():
        db.execute("INSERT INTO main.activity_tasks VALUES (?, 'stepforge:child-watch', ?, ?, ?, ?, NULL, 0, ?)",
                   ("stepforge-child:" + child, parent, wait_id, json.dumps({"pattern": pattern}), created, closed))
    _write_map_runs(db)
    _write_waits(db)
    db.commit()
    db.close()


def _write_map_runs(db: sqlite3.Connection) -> None:
    for arn, execution_arn, started, body in db.execute(
            "SELECT arn, execution_arn, started, body FROM new.map_runs").fetchall():
        items = db.execute("SELECT input, child_arn, status, result FROM new.map_run_items WHERE map_run_arn = ? "
                           "ORDER BY idx", (arn,)).fetchall()
        launched = [item for item in items if item[1] is not None]
        released = {**json.loads(body), "inputs": [item[0] for item in items],
                    "children": [item[1] for item in launched], "statuses": [item[2] for item in launched],
                    "results": [None if item[3] is None else json.loads(item[3]) for item in items]}
        db.execute("INSERT INTO main.map_runs VALUES (?, ?, ?, ?)", (arn, execution_arn, started, json.dumps(released)))


def _write_waits(db: sqlite3.Connection) -> None:
    for arn, text in db.execute("SELECT arn, run FROM main.executions").fetchall():
        run = json.loads(text)
        for frame in run["frames"].values():
            wait = frame.get("wait")
            if wait is not None:
                map_run_arn = wait.pop("map_run_arn")
                wait["token"] = map_run_arn or wait["token"]
        db.execute("UPDATE main.executions SET run = ? WHERE arn = ?", (json.dumps(run, separators=(",", ":")), arn))


def test_a_released_store_migrates_and_its_executions_go_on(tmp_path: Path) -> None:
    sent: list[str] = []
    arns, activity = park(tmp_path, sent)
    (tmp_path / "released").mkdir()
    write_release_2(tmp_path / "new" / FILE_NAME, tmp_path / "released" / FILE_NAME)

    store = SqliteStore(tmp_path / "released")
    assert store.schema_version() == len(MIGRATIONS)
    waiting = store.open_activity_tasks(10)  # the activity's, the .sync child's, the Map Run's first item's
    assert len(waiting) == 3 and {t.activity_arn for t in waiting} == {activity}
    assert arns["activity"] in {t.execution_arn for t in waiting}
    callbacks = store.open_callbacks(10)
    assert [(d.execution_arn, d.token) for d in callbacks] == [(arns["callback"], sent[0])]
    watch = store.open_child_watches(arns["parent"])
    assert [(w.pattern, w.child_arn.endswith(":kid")) for w in watch] == [("sync", True)]
    assert watch[0].child_arn in {t.execution_arn for t in waiting}
    run = store.list_map_runs(arns["map"], limit=10).items[0]
    items = store.map_run_items(run.arn, limit=10)
    assert [(i.index, i.status) for i in items] == [(0, "RUNNING"), (1, "PENDING")]
    parked = store.get_execution(arns["map"])
    assert parked is not None and [f.wait.map_run_arn for f in parked.run.frames.values() if f.wait] == [run.arn]
    assert check_store(store).problems == []

    h = Harness(start=START + 60, store=store)
    h.succeed(sent[0], {"answered": True})
    while (polled := h.poll(activity)) is not None:
        token, value = polled
        h.succeed(token, {"done": value.get("n")})
    for kind, arn in arns.items():
        assert h.run_until_done(arn).status == "SUCCEEDED", kind
    assert h.result(arns["map"]).output == [{"done": 3}, {"done": 4}]
    assert h.result(arns["callback"]).output == {"answered": True}
    assert json.loads(h.result(arns["parent"]).output["Output"]) == {"done": 2}
    assert check_store(store).problems == []
    assert h.call(executions.describe, executionArn=arns["activity"])["status"] == "SUCCEEDED"
