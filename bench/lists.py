"""List calls at scale: ListExecutions (first and 100th page, with and without statusFilter) and
ListStateMachines against a server holding N executions.

    .venv/bin/python bench/lists.py [--count 1000000] [--data-dir DIR] [--repeat 50] [--budget 60] [--populate-only] [--first-pages-only]

It fills ``--data-dir`` (or a fresh directory under /tmp, removed at exit) directly through the store's Python API (see
``populate``; no server runs meanwhile), unless that directory is not empty: then it is reused as it is
(keep a populated copy: 1,000,000 rows take minutes). Then it
starts a real ``stepforge serve`` on that directory and times each call through boto3 from this
process, ``--repeat`` times or until ``--budget`` seconds have gone on one case (at least 5 calls).
The 100th page is reached by following ``nextToken`` 99 times (that walk is timed once, as a whole);
then the 100th page's own call is repeated with the same token.

The executions are spread evenly over four machines, with 90 % SUCCEEDED, 5 % RUNNING, 4 % FAILED and
1 % ABORTED; the calls ask for the first machine. No history rows are written.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import psutil
from botocore.config import Config
from rich.console import Console
from rich.table import Table
from scratch import scratch_dir  # bench/scratch.py

REGION, ACCOUNT = "us-east-1", "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bench"
MACHINES = (("orders", 1), ("payments", 1), ("emails", 1), ("reports", 1))
STATUSES = (("SUCCEEDED", 90), ("RUNNING", 5), ("FAILED", 4), ("ABORTED", 1))
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
BATCH = 10_000
PAGE = 100


def machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def _weighted(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [name for name, weight in pairs for _ in range(weight)]


@dataclass(frozen=True, slots=True)
class Row:
    """One execution to insert, whatever the store calls its record."""

    machine: str
    name: str
    status: str
    started: float
    input: str


def rows(count: int, seed: int = 11) -> Iterator[Row]:
    """``count`` executions, one every 10 ms of the last ``count / 100`` seconds, oldest first."""
    rng = random.Random(seed)
    machines, statuses = _weighted(MACHINES), _weighted(STATUSES)
    start = time.time() - count / 100
    for i in range(count):
        yield Row(rng.choice(machines), f"run-{i:08d}", rng.choice(statuses), start + i / 100,
                  json.dumps({"order": i, "note": "x" * rng.randrange(10, 200)}))


def batches(items: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def populate(directory: Path, count: int) -> None:
    """Every store call of this benchmark: four machines, then ``count`` executions in batches of
    ``BATCH`` per transaction. Adapt this function when the store's API changes."""
    from stepforge.store.records import ExecutionRecord, StateMachineRecord
    from stepforge.store.sqlite import SqliteStore

    store = SqliteStore(directory)
    created = time.time() - count / 100 - 60
    with store.transaction() as tx:
        for name, _ in MACHINES:
            tx.put_state_machine(StateMachineRecord(
                arn=machine_arn(name), name=name, definition=DEFINITION, role_arn=ROLE, type="STANDARD",
                created=created, revision_id=f"rev-{name}"))
    for batch in batches(rows(count), BATCH):
        with store.transaction() as tx:
            for r in batch:
                done = r.status != "RUNNING"
                tx.insert_execution(ExecutionRecord(
                    arn=f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{r.machine}:{r.name}", name=r.name,
                    state_machine_arn=machine_arn(r.machine), state_machine_name=r.machine,
                    definition=DEFINITION, role_arn=ROLE, input=r.input, started=r.started, status=r.status,
                    stopped=r.started + 0.25 if done else None,
                    output=r.input if r.status == "SUCCEEDED" else None,
                    error="States.TaskFailed" if r.status == "FAILED" else None,
                    event_count=5 if done else 2))
    store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(port: int) -> Any:
    return boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}, read_timeout=900, connect_timeout=10))


@contextmanager
def server(directory: Path) -> Iterator[tuple[int, float, int]]:
    """A ``stepforge serve`` on ``directory``; yields its port, how long it took to answer, its PID."""
    port = free_port()
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port),
                                "--data-dir", str(directory)], stdout=subprocess.DEVNULL)
    try:
        sfn = client(port)
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}")
            try:
                sfn.list_state_machines(maxResults=1)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.1)
        yield port, time.perf_counter() - began, process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def repeat(call: Callable[[], Any], times: int, budget: float) -> list[float]:
    """Seconds per call, ``times`` calls or fewer once ``budget`` seconds are spent (at least 5)."""
    samples: list[float] = []
    deadline = time.perf_counter() + budget
    while len(samples) < times and (len(samples) < 5 or time.perf_counter() < deadline):
        samples.append(timed(call)[0])
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass(slots=True)
class Figures:
    """The table, filled one case at a time; the server's reads are its bytes read through system calls
    (``rchar``: page-cache hits included), i.e. how much of the database file SQLite went through."""

    table: Table
    times: int
    budget: float
    server: psutil.Process
    walk: bool

    def run(self, case: str, call: Callable[[], Any], note: str = "") -> None:
        before = self.server.io_counters().read_chars
        samples = repeat(call, self.times, self.budget)
        self.add(case, samples, (self.server.io_counters().read_chars - before) / len(samples), note)

    def add(self, case: str, samples: list[float], read: float, note: str = "") -> None:
        ms = [s * 1000 for s in samples]
        self.table.add_row(case, str(len(ms)), f"{min(ms):.1f}", f"{statistics.median(ms):.1f}",
                           f"{percentile(ms, 0.99):.1f}", f"{max(ms):.1f}", f"{read / 1e6:.1f}", note)
        print(f"  {case}: {len(ms)} calls, p50 {statistics.median(ms):.1f} ms {note}", file=sys.stderr, flush=True)


def list_case(sfn: Any, arn: str, figures: Figures, label: str, status: str | None) -> None:
    """The first and the 100th page of ListExecutions for ``arn``, optionally filtered by status."""
    params: dict[str, Any] = {"stateMachineArn": arn, "maxResults": PAGE}
    if status is not None:
        params["statusFilter"] = status

    def after(token: str | None) -> Any:
        return sfn.list_executions(**params, **({"nextToken": token} if token else {}))

    figures.run(f"ListExecutions {label} page 1", partial(after, None))
    if not figures.walk:
        return
    token: str | None = None
    walk = 0.0
    for _ in range(99):
        seconds, answer = timed(partial(after, token))
        walk, token = walk + seconds, answer.get("nextToken")
        if token is None:
            figures.table.add_row(f"ListExecutions {label} page 100", "0", "", "", "", "", "", "fewer than 100 pages")
            return
    figures.run(f"ListExecutions {label} page 100", partial(after, token), f"walk to it: {walk:.1f} s for 99 calls")


def measure(port: int, pid: int, times: int, budget: float, walk: bool) -> Table:
    sfn = client(port)
    table = Table(title="list calls: ms per call through boto3, MB the server read per call")
    for column in ("case", "n", "min", "p50", "p99", "max", "read MB", "note"):
        table.add_column(column, justify="left" if column in ("case", "note") else "right", no_wrap=column == "case")
    figures = Figures(table, times, budget, psutil.Process(pid), walk)
    figures.run("ListStateMachines", lambda: sfn.list_state_machines())
    for label, status in (("all", None), ("SUCCEEDED", "SUCCEEDED"), ("RUNNING", "RUNNING")):
        list_case(sfn, machine_arn(MACHINES[0][0]), figures, label, status)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="executions to insert")
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse (or fill) this data directory")
    parser.add_argument("--repeat", type=int, default=50, help="calls per case")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per case before fewer calls suffice")
    parser.add_argument("--populate-only", action="store_true", help="fill the data directory, measure nothing")
    parser.add_argument("--first-pages-only", action="store_true", help="skip the walks to the 100th pages")
    args = parser.parse_args()
    console = Console(width=140)
    directory = args.data_dir or scratch_dir("stepforge-lists-")
    if directory.is_dir() and any(directory.iterdir()):
        console.print(f"reusing {directory} as it is (--count is ignored)")
    else:
        directory.mkdir(parents=True, exist_ok=True)
        seconds, _ = timed(lambda: populate(directory, args.count))
        size = sum(f.stat().st_size for f in directory.iterdir()) / 1e6
        console.print(f"populated {directory}: {args.count:,} executions in {seconds:.1f} s "
                      f"({args.count / seconds:,.0f}/s), {size:,.0f} MB")
    if args.populate_only:
        return
    with server(directory) as (port, started, pid):
        console.print(f"server answered after {started:.2f} s")
        console.print(measure(port, pid, args.repeat, args.budget, not args.first_pages_only))


if __name__ == "__main__":
    main()
