"""GetExecutionHistory of one long execution: ~25,000 events written by the real engine, read back in pages.

    .venv/bin/python bench/history.py [--events 25000] [--passes 5]

Starts its own ``stepforge serve`` on a fresh data directory (SQLite, synchronous=FULL, history limit
lifted with --max-history-events 0), runs a Choice/Pass loop that counts with States.MathAdd until the
execution has written about ``--events`` events (4 per turn), then reads its whole history ``--passes``
times with maxResults=1000 forward and with reverseOrder, and with the default page size (100). It prints
the time per page (every page of every pass) and per whole read (one per pass). The API has no unpaged
call: maxResults is at most 1000, and 0 or absent means the default page of 100.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from rich.console import Console
from rich.table import Table
from scratch import scratch_dir  # bench/scratch.py

ROLE = "arn:aws:iam::000000000000:role/bench"
#: ExecutionStarted; per turn Choice entered/exited and Pass entered/exited; then the last Choice,
#: Succeed entered/exited and ExecutionSucceeded.
EVENTS_PER_TURN, FIXED_EVENTS = 4, 6
DEFINITION = {
    "StartAt": "Check",
    "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThanPath": "$.n", "Next": "Count"}],
                  "Default": "Done"},
        "Count": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "n.$": "$.n"}, "Next": "Check"},
        "Done": {"Type": "Succeed"},
    },
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(port: int) -> Any:
    return boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}, read_timeout=300))


@contextmanager
def server() -> Iterator[int]:
    """A fresh ``stepforge serve`` without a history limit; yields its port once it answers."""
    port, data = free_port(), str(scratch_dir("stepforge-history-"))
    process = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir",
                                data, "--max-history-events", "0"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def long_execution(sfn: Any, events: int) -> tuple[str, float]:
    """Start the counting loop and wait for it to succeed; its ARN and the seconds it ran."""
    turns = max(0, (events - FIXED_EVENTS) // EVENTS_PER_TURN)
    machine = sfn.create_state_machine(name="history-bench", definition=json.dumps(DEFINITION),
                                       roleArn=ROLE)["stateMachineArn"]
    began = time.perf_counter()
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"i": 0, "n": turns}))["executionArn"]
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        time.sleep(0.05)
    if described["status"] != "SUCCEEDED" or json.loads(described["output"]) != {"i": turns, "n": turns}:
        raise SystemExit(f"the loop did not count to {turns}: {described}")
    return arn, time.perf_counter() - began


@dataclass(slots=True)
class Reads:
    """Seconds per page (all passes together) and per whole read of the history."""

    pages: list[float] = field(default_factory=list)
    totals: list[float] = field(default_factory=list)
    events: int = 0


def read_all(sfn: Any, arn: str, size: int | None, reverse: bool, reads: Reads) -> None:
    params: dict[str, Any] = {"executionArn": arn, "reverseOrder": reverse}
    if size is not None:
        params["maxResults"] = size
    token: str | None = None
    count, total = 0, 0.0
    while True:
        began = time.perf_counter()
        answer = sfn.get_execution_history(**params, **({"nextToken": token} if token else {}))
        seconds = time.perf_counter() - began
        reads.pages.append(seconds)
        count, total, token = count + len(answer["events"]), total + seconds, answer.get("nextToken")
        if token is None:
            break
    reads.totals.append(total)
    reads.events = count


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=25_000, help="history events the execution writes (about)")
    parser.add_argument("--passes", type=int, default=5, help="whole reads of the history per case")
    args = parser.parse_args()
    console = Console(width=140)
    table = Table(title="GetExecutionHistory through boto3: ms per page (every page of every pass), s per whole read")
    for column in ("case", "events", "pages", "min ms", "p50 ms", "p99 ms", "max ms", "read min s", "read p50 s",
                   "read max s"):
        table.add_column(column, justify="left" if column == "case" else "right", no_wrap=column == "case")
    with server() as port:
        sfn = client(port)
        arn, ran = long_execution(sfn, args.events)
        console.print(f"the loop ran in {ran:.2f} s")
        for label, size, reverse in (("maxResults=1000", 1000, False), ("maxResults=1000 reverse", 1000, True),
                                     ("default page (100)", None, False)):
            reads = Reads()
            for _ in range(args.passes):
                read_all(sfn, arn, size, reverse, reads)
            ms = [s * 1000 for s in reads.pages]
            table.add_row(label, f"{reads.events:,}", str(len(ms) // args.passes), f"{min(ms):.1f}",
                          f"{statistics.median(ms):.1f}", f"{percentile(ms, 0.99):.1f}", f"{max(ms):.1f}",
                          f"{min(reads.totals):.2f}", f"{statistics.median(reads.totals):.2f}",
                          f"{max(reads.totals):.2f}")
    console.print(table)


if __name__ == "__main__":
    main()
