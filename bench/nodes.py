"""Many nodes: the benchmark kit (../shared/bench/sfn_bench.py) on SQLite and on PostgreSQL with 1, 2, 3 nodes,
and the time from SIGKILL to the first resumed transition.

    .venv/bin/python bench/nodes.py --db postgresql://user@host:port/db [--repeat 1]
        [--scenarios hello,chain100,choice_loop] [--nodes 1,2,3] [--no-sqlite] [--no-failover]

PostgreSQL runs use one ``stepforge serve`` (the endpoint the kit calls) plus ``N - 1`` ``stepforge engine``
nodes; the database is emptied before each run. "CPU s" is the serve node's CPU time (the kit samples its
PID): on a busy machine a steadier figure than the wall clock's. The failover figure: three nodes (two serve, one engine)
with a 3 s lease; executions whose Lambda-function task is in flight on serve node A; A is SIGKILLed; the
figure is the time until another node has adopted those tasks and started them again (work resumed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import psycopg
from botocore.config import Config
from kit import free_port
from scratch import scratch_dir  # bench/scratch.py

HERE = Path(__file__).resolve().parent
#: The kit, in ``shared/`` beside the checkout (or beside the worktrees' folder).
KIT = next((p / "shared" / "bench" / "sfn_bench.py" for p in HERE.parents
            if (p / "shared" / "bench" / "sfn_bench.py").exists()), HERE / "sfn_bench.py")
ROLE = "arn:aws:iam::000000000000:role/bench"
TTL = 3.0


class Node:
    """A ``serve`` or ``engine`` process of a deployment."""

    def __init__(self, kind: str, db: str | None, *, port: int = 0, ttl: float = 10.0) -> None:
        self.kind, self.port = kind, port
        data = str(scratch_dir("stepforge-nodes-"))
        command = [sys.executable, "-m", "stepforge.cli", kind, "--data-dir", data, "--max-history-events", "0",
                   "--functions", "nodes_functions"]
        command += ["--db", db, "--lease-ttl", str(ttl)] if db else []
        command += ["--port", str(port)] if kind == "serve" else []
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
        if kind == "serve":
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    return
                except OSError:
                    time.sleep(0.05)
            raise SystemExit(f"serve on port {port} did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


def empty(db: str) -> None:
    """Every table of the database emptied (the schema kept)."""
    with psycopg.connect(db, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_version'")]
        if tables:
            conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def kit(port: int, pid: int, scenario: str, repeat: int) -> dict[str, Any]:
    out = scratch_dir("stepforge-nodes-kit-") / "result.json"
    subprocess.run([sys.executable, str(KIT), "--endpoint", f"http://127.0.0.1:{port}", "--scenario", scenario,
                    "--repeat", str(repeat), "--server-pid", str(pid), "--json", str(out)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result: dict[str, Any] = json.loads(out.read_text())
    if not result.get("all_ok"):
        raise SystemExit(f"{scenario}: not every run was correct: {result}")
    return dict(result["median"])


def deployment(db: str | None, count: int) -> list[Node]:
    """One serve node (the endpoint) and ``count - 1`` engine nodes."""
    if db:
        empty(db)
    nodes = [Node("serve", db, port=free_port())]
    nodes += [Node("engine", db) for _ in range(count - 1)]
    time.sleep(1.0 if count > 1 else 0)  # the engines join
    return nodes


def throughput(db: str | None, count: int, scenarios: list[str], repeat: int) -> None:
    label = "SQLite, 1 node" if db is None else f"PostgreSQL, {count} node(s)"
    for scenario in scenarios:
        nodes = deployment(db, count)
        try:
            m = kit(nodes[0].port, nodes[0].process.pid, scenario, repeat)
        finally:
            for node in nodes:
                node.stop()
        print(f"{label:<24} {scenario:<12} {m['executions_per_s']:>9.1f} {m['transitions_per_s']:>9.0f} "
              f"{m['wall_s']:>8.3f} {m['latency_p99_s']:>7.3f} {m.get('server_cpu_s', 0):>8.2f}", flush=True)


def client(port: int) -> Any:
    return boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="bench", aws_secret_access_key="bench",
                        config=Config(retries={"max_attempts": 0}, read_timeout=60))


def failover(db: str, executions: int = 20) -> float:
    """Seconds from SIGKILL of a node with tasks in flight until another node has adopted them (and
    started them again): read from the store, every 20 ms."""
    from stepforge.store.postgres import PostgresStore

    empty(db)
    store = PostgresStore(db)
    a = Node("serve", db, port=free_port(), ttl=TTL)
    b = Node("serve", db, port=free_port(), ttl=TTL)
    c = Node("engine", db, ttl=TTL)
    try:
        on_a = client(a.port)
        machine = on_a.create_state_machine(name="failover", roleArn=ROLE, definition=json.dumps({
            "StartAt": "Slow", "States": {"Slow": {
                "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:slow", "End": True}}}))
        for _ in range(executions):
            on_a.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"v": 1}')
        (node,) = [n for n in store.list_nodes() if n.pid == a.process.pid]
        if node.held == 0:
            raise SystemExit("node A holds no task in flight")
        a.process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        a.process.wait()
        while not any(d.owner != node.id for d in store.open_dispatches(limit=executions).items):
            if time.monotonic() - killed > 60:
                raise SystemExit("nothing adopted within 60 s")
            time.sleep(0.02)
        return time.monotonic() - killed
    finally:
        for each in (a, b, c):
            each.stop()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a PostgreSQL URL (its tables are emptied!)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--scenarios", default="hello,chain100,choice_loop")
    parser.add_argument("--nodes", default="1,2,3")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-failover", action="store_true")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")
    print(f"{'deployment':<24} {'scenario':<12} {'exec/s':>9} {'trans/s':>9} {'wall s':>8} {'p99 s':>7} "
          f"{'CPU s':>8}")
    if not args.no_sqlite:
        throughput(None, 1, scenarios, args.repeat)
    for count in (int(n) for n in args.nodes.split(",") if n):
        throughput(args.db, count, scenarios, args.repeat)
    if not args.no_failover:
        seconds = [failover(args.db) for _ in range(3)]
        print(f"SIGKILL -> dead node's tasks adopted and running again (lease {TTL:g} s): "
              + ", ".join(f"{s:.2f} s" for s in seconds), flush=True)


if __name__ == "__main__":
    main()
