"""Memory with many executions parked in a long Wait: the server's RSS after N StartExecutions.

    .venv/bin/python bench/parked.py --executions 100000

Starts its own `stepforge serve` on a fresh data directory (SQLite, synchronous=FULL), creates a
machine whose only state waits an hour, starts N executions from several client threads, and
prints the start rate, the server's peak RSS, the database size, and a `db check` of the result.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import psutil
from botocore.config import Config
from scratch import scratch_dir  # bench/scratch.py

DEFINITION = {"StartAt": "Park", "States": {"Park": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(port: int):  # type: ignore[no-untyped-def]
    return boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 3}, max_pool_connections=4))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    data = scratch_dir("stepforge-parked-")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port),
                               "--data-dir", str(data)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        process = psutil.Process(server.pid)
        arn = client(port).create_state_machine(name="parked", definition=json.dumps(DEFINITION),
                                                roleArn="arn:aws:iam::000000000000:role/x")["stateMachineArn"]
        peak = [process.memory_info().rss]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], process.memory_info().rss)
                time.sleep(0.2)

        threading.Thread(target=sample, daemon=True).start()
        local = threading.local()

        def start(index: int) -> None:
            if not hasattr(local, "sfn"):
                local.sfn = client(port)
            local.sfn.start_execution(stateMachineArn=arn, name=f"p{index}", input=f'{{"n": {index}}}')

        began = time.monotonic()
        with ThreadPoolExecutor(args.threads) as pool:
            for i, _ in enumerate(pool.map(start, range(args.executions)), 1):
                if i % 10_000 == 0:
                    print(f"  {i} started, rss {process.memory_info().rss / 1e6:.0f} MB", flush=True)
        elapsed = time.monotonic() - began
        time.sleep(2)  # let the engine take every start through its first step
        done.set()
        size = sum(f.stat().st_size for f in data.iterdir())
        print(f"parked executions : {args.executions}")
        print(f"start rate        : {args.executions / elapsed:.0f}/s ({args.threads} client threads)")
        print(f"server RSS now    : {process.memory_info().rss / 1e6:.0f} MB (peak {peak[0] / 1e6:.0f} MB)")
        print(f"database size     : {size / 1e6:.0f} MB in {data}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    check = subprocess.run([sys.executable, "-m", "stepforge.cli", "db", "check", "--data-dir", str(data)],
                           check=False, capture_output=True, text=True)
    print(f"db check          : {check.stdout.strip()}")


if __name__ == "__main__":
    main()
