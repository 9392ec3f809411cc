"""A Distributed Map survives SIGKILL: a real server is killed three times during one Map Run —
as its first children start, a third of the way, and near the end — and restarted on the same
data directory. Every item is processed, every result written exactly once, the counts are exact —
with STANDARD children (stored executions, resumed) and with EXPRESS ones (in memory: those running
at a kill die with the server, and their items run again at the restart, at least once as on AWS),
on SQLite, and with EXPRESS children on PostgreSQL too.

The items are a JSONL object in a local directory bucket, processed in ItemBatcher batches by a
Python function. ``STEPFORGE_DMAP_CRASH_ITEMS`` sets how many (default 20,000 in batches of 20,
1,000 children, to keep ``make test`` quick; the issue's figure, 100,000, runs the same way).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import store_arguments
from tests.e2e.test_crash_recovery import Server, client, persist, restartable_port

ITEMS = int(os.environ.get("STEPFORGE_DMAP_CRASH_ITEMS", "20000"))
BATCH = max(1, ITEMS // 1000)
ROLE = "arn:aws:iam::000000000000:role/crash"
FUNCTION = '''
import os

def echo(event, context):
    with open(os.environ["DMAP_SEEN"], "a") as seen:
        seen.write(" ".join(str(item["id"]) for item in event["Items"]) + "\\n")
    return [item["id"] for item in event["Items"]]
'''


def machine(execution_type: str) -> dict[str, Any]:
    return {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "MaxConcurrency": 100,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
                       "Parameters": {"Bucket": "crash", "Key": "items.jsonl"}},
        "ItemBatcher": {"MaxItemsPerBatch": BATCH},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "crash", "Prefix": "out"},
                         "WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSONL"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type}, "StartAt": "Echo",
                          "States": {"Echo": {"Type": "Task", "End": True,
                                              "Resource": "arn:aws:lambda:us-east-1:000000000000:function:echo"}}},
    }}}


def deployment(tmp_path: Path, store: list[str]) -> Server:
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    with (bucket / "items.jsonl").open("w") as out:
        out.writelines(f'{{"id":{n}}}\n' for n in range(ITEMS))
    (tmp_path / "crash_fn.py").write_text(FUNCTION)
    (tmp_path / "config.toml").write_text(f'[s3.buckets]\ncrash = "{bucket}"\n')
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DMAP_SEEN": str(tmp_path / "seen.txt")}
    return Server(tmp_path / "data", restartable_port(), store,
                  args=("--functions", "crash_fn", "--config", str(tmp_path / "config.toml")), env=env)


def progress(sfn: Any, arn: str) -> dict[str, int]:
    runs = persist(sfn.list_map_runs, executionArn=arn)["mapRuns"]
    if not runs:
        return {"total": 0, "succeeded": 0}
    return dict(persist(sfn.describe_map_run, mapRunArn=runs[0]["mapRunArn"])["itemCounts"])


def kill_when(server: Server, ready: Any, sfn: Any, arn: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not ready(progress(sfn, arn)):
        assert time.monotonic() < deadline, f"no progress: {progress(sfn, arn)}"
        time.sleep(0.05)
    server.kill()
    server.start()


@pytest.mark.parametrize(("backend", "execution_type"),
                         [("sqlite", "STANDARD"), ("sqlite", "EXPRESS"), ("postgresql", "EXPRESS")])
def test_a_map_run_killed_three_times_processes_every_item_and_writes_each_result_once(
        request: pytest.FixtureRequest, tmp_path: Path, backend: str, execution_type: str) -> None:
    server = deployment(tmp_path, store_arguments(request, backend, tmp_path, f"dmap_{uuid.uuid4().hex[:8]}"))
    server.start()
    try:
        sfn = client(server.port)
        machine_arn = sfn.create_state_machine(name="crash", definition=json.dumps(machine(execution_type)), roleArn=ROLE)
        arn = sfn.start_execution(stateMachineArn=machine_arn["stateMachineArn"], input="{}")["executionArn"]
        children = -(-ITEMS // BATCH)
        kill_when(server, lambda c: c["total"] > 0, sfn, arn)                      # its first children
        kill_when(server, lambda c: c["succeeded"] >= ITEMS // 3, sfn, arn)        # running
        kill_when(server, lambda c: c["succeeded"] >= ITEMS * 9 // 10, sfn, arn)    # near the end
        deadline = time.monotonic() + 300
        while (described := persist(sfn.describe_execution, executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, progress(sfn, arn)
            time.sleep(0.2)
        counts = progress(sfn, arn)
        run_arn = persist(sfn.list_map_runs, executionArn=arn)["mapRuns"][0]["mapRunArn"]
        executions = persist(sfn.describe_map_run, mapRunArn=run_arn)["executionCounts"]
    finally:
        server.stop()
    assert described["status"] == "SUCCEEDED", described
    assert server.kills == 3
    assert (counts["total"], counts["succeeded"], counts["failed"], counts["pending"], counts["running"],
            counts["resultsWritten"]) == (ITEMS, ITEMS, 0, 0, 0, ITEMS)
    assert (executions["total"], executions["succeeded"], executions["resultsWritten"]) == (children, children, children)
    seen = Counter(int(n) for line in (tmp_path / "seen.txt").read_text().split("\n") for n in line.split())
    assert set(seen) == set(range(ITEMS))  # tasks are at-least-once: a killed batch may run twice
    details = json.loads(described["output"])["ResultWriterDetails"]
    manifest = json.loads((tmp_path / "bucket" / details["Key"]).read_text())
    written: Counter[int] = Counter()
    for entry in manifest["ResultFiles"]["SUCCEEDED"]:
        written.update(json.loads(line) for line in (tmp_path / "bucket" / entry["Key"]).read_text().splitlines())
    assert written == Counter(range(ITEMS))
    assert manifest["ResultFiles"]["FAILED"] == [] and manifest["ResultFiles"]["PENDING"] == []
    check = subprocess.run([sys.executable, "-m", "stepforge.cli", "db", "check", *server.store],
                           check=False, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
