"""One Distributed Map over N items read from a JSONL object: wall time, peak RSS, database size.

    .venv/bin/python bench/distributed_map.py [--items 100000] [--batch 100] [--concurrency 1000]
                                             [--synchronous FULL] [--execution-type EXPRESS]

Starts its own ``stepforge serve`` (SQLite, ``synchronous=FULL`` by default) with a local directory
bucket (``[s3.buckets]``, so no S3 server is needed: the reading path is the same streamed reader
and chunked commits) and a no-op Python function served as a Lambda function. It writes a JSONL
object of ``--items`` items, runs one Distributed Map over it — one child execution per item
(``--batch 0``) or per ItemBatcher batch of ``--batch`` items, STANDARD (stored, with history) or
EXPRESS (in memory, item rows only) children as ``--execution-type`` says — with a ResultWriter exporting the
results to the bucket, and prints the wall time from StartExecution to the end, items per second,
the server's peak RSS and CPU time (sampled every 0.5 s), the size of the data directory and the
load average. The machine is whatever runs it: on a shared one, the CPU seconds say more than the
wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import psutil
from botocore.config import Config

ROLE = "arn:aws:iam::000000000000:role/bench"
NOOP = "arn:aws:lambda:us-east-1:000000000000:function:noop"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def definition(batch: int, concurrency: int, execution_type: str) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Map", "End": True, "MaxConcurrency": concurrency,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
                       "Parameters": {"Bucket": "bench", "Key": "items.jsonl"}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "bench", "Prefix": "results"},
                         "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                          "StartAt": "Noop", "States": {"Noop": {"Type": "Task", "Resource": NOOP, "End": True}}},
    }
    if batch:
        state["ItemBatcher"] = {"MaxItemsPerBatch": batch}
    return {"StartAt": "Each", "States": {"Each": state}}


def write_items(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            out.write(f'{{"id":{n},"key":"objects/{n:08d}.bin"}}\n')


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class PeakRss(threading.Thread):
    """Samples the server's RSS (peak) and CPU time (user + system, all threads) every 0.5 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process, self.peak, self.cpu, self.stopping = psutil.Process(pid), 0, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
                times = self.process.cpu_times()
                self.cpu = times.user + times.system
            except psutil.Error:
                return


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100, help="items per batch; 0: one child per item")
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    parser.add_argument("--execution-type", default="STANDARD", choices=["STANDARD", "EXPRESS"],
                        help="the children's ProcessorConfig ExecutionType")
    parser.add_argument("--timeout", type=float, default=7200)
    parser.add_argument("--keep", action="store_true", help="keep the data directory and bucket afterwards")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stepforge-dmap-"))
    data, bucket = work / "data", work / "bucket"
    bucket.mkdir()
    write_items(bucket / "items.jsonl", args.items)
    (work / "bench_noop.py").write_text("def noop(event, context):\n    return None\n", encoding="utf-8")
    (work / "stepforge.toml").write_text(f'[s3.buckets]\nbench = "{bucket}"\n', encoding="utf-8")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{work}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    server = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir",
                               str(data), "--sqlite-synchronous", args.synchronous, "--functions", "bench_noop",
                               "--config", str(work / "stepforge.toml")], env=env, stdout=subprocess.DEVNULL)
    rss = PeakRss(server.pid)
    rss.start()
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x",
                           config=Config(retries={"total_max_attempts": 5}, read_timeout=120))
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        machine = sfn.create_state_machine(name="dmap", definition=json.dumps(definition(args.batch, args.concurrency, args.execution_type)),
                                           roleArn=ROLE)["stateMachineArn"]
        start = time.perf_counter()
        arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        described = wait(sfn, arn, args.timeout)
        wall = time.perf_counter() - start
        run_arn = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
        counts = sfn.describe_map_run(mapRunArn=run_arn)["itemCounts"]
        children = args.items if not args.batch else -(-args.items // args.batch)
        print(f"items {args.items:,}  children {children:,} ({'per item' if not args.batch else f'batches of {args.batch}'})"
              f"  {args.execution_type}  MaxConcurrency {args.concurrency}  SQLite synchronous={args.synchronous}")
        print(f"status {described['status']}  map run counts {json.dumps(counts)}")
        print(f"wall {wall:,.1f} s  ({args.items / wall:,.0f} items/s, {children / wall:,.0f} children/s)"
              f"  peak RSS {rss.peak / 2**20:,.0f} MiB  database {directory_size(data) / 2**20:,.0f} MiB")
        print(f"server CPU {rss.cpu:,.1f} s ({children / max(rss.cpu, 0.001):,.0f} children per CPU-second)"
              f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        rss.stopping.set()
        server.terminate()
        server.wait(timeout=60)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def wait(sfn: Any, arn: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(1.0)
    raise SystemExit(f"still RUNNING after {timeout} s")


if __name__ == "__main__":
    main()
