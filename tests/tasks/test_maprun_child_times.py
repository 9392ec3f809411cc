"""When a Map Run's EXPRESS children started and stopped: kept in their item rows (they have no
execution row), shown by DescribeExecution and ListExecutions(mapRunArn) as AWS shows them, across
a restart; item rows stored before the times were kept migrate with none."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stepforge.service import executions, maprun
from stepforge.store.base import Store
from stepforge.store.schema import MIGRATIONS
from stepforge.store.sqlite import FILE_NAME, SqliteStore
from stepforge.testing import Harness, write

START = 1_700_000_000.0
WAIT_10 = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
ONE_AT_A_TIME = {"StartAt": "M", "States": {"M": {
    "Type": "Map", "End": True, "MaxConcurrency": 1, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, **WAIT_10}}}}


def children(h: Harness, arn: str) -> list[dict[str, Any]]:
    run_arn = h.call(maprun.list_, executionArn=arn)["mapRuns"][0]["mapRunArn"]
    return list(h.call(executions.list_, mapRunArn=run_arn)["executions"])


def test_express_children_show_when_each_started_and_stopped(open_durable_store: Callable[[], Store]) -> None:
    h = Harness(start=START, store=open_durable_store())
    arn = h.start(ONE_AT_A_TIME, ["a", "b"])
    h.settle()
    for _ in range(2):  # one child at a time, each waiting 10 s
        h.clock.advance(10)
        h.engine.express.fire_due(h.clock.now())
        h.settle()
    assert h.result(arn).status == "SUCCEEDED"
    listed = sorted(children(h, arn), key=lambda child: child["startDate"])
    assert [(c["startDate"], c["stopDate"]) for c in listed] == [(START, START + 10), (START + 10, START + 20)]
    h.store.close()

    restarted = Harness(start=START + 60, store=open_durable_store())
    second = restarted.call(executions.describe, executionArn=listed[1]["executionArn"])
    assert (second["status"], second["startDate"], second["stopDate"]) == ("SUCCEEDED", START + 10, START + 20)
    restarted.store.close()


def test_a_running_express_child_has_a_start_and_no_stop() -> None:
    h = Harness(start=START)
    arn = h.start(ONE_AT_A_TIME, ["a", "b"])
    h.settle()
    h.clock.advance(10)
    h.engine.express.fire_due(h.clock.now())
    h.settle()
    running = [c for c in children(h, arn) if c["status"] == "RUNNING"]
    assert [c["startDate"] for c in running] == [START + 10] and "stopDate" not in running[0]
    described = h.call(executions.describe, executionArn=running[0]["executionArn"])
    assert described["startDate"] == START + 10 and "stopDate" not in described


def test_item_rows_stored_before_times_were_kept_migrate_without_them(tmp_path: Path) -> None:
    run_arn = "arn:aws:states:us-east-1:000000000000:mapRun:m1/M:5f0c2d1e-0000-4000-8000-000000000000"
    db = sqlite3.connect(tmp_path / FILE_NAME)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for number, script in enumerate(MIGRATIONS[:6], start=1):
        db.executescript(script)
        db.execute("INSERT INTO schema_version VALUES (?)", (number,))
    db.execute("INSERT INTO map_runs (arn, execution_arn, started, body) VALUES (?, 'parent', ?, '{}')",
               (run_arn, START))
    db.execute("INSERT INTO map_run_items VALUES (?, 0, '1', 'child', 'SUCCEEDED', '1')", (run_arn,))
    db.commit()
    db.close()

    store = SqliteStore(tmp_path)
    assert store.schema_version() == len(MIGRATIONS)
    [item] = store.map_run_items(run_arn, limit=10)
    assert (item.status, item.started, item.stopped) == ("SUCCEEDED", None, None)
    item.started, item.stopped = START, START + 1
    write(store, lambda tx: tx.update_map_run_item(item))
    assert store.map_run_item_of("child") == item
    store.close()
