"""CPU of a `stepforge serve` holding idle GetActivityTask long polls (issue 11: target <= 5 % of one core).

    .venv/bin/python bench/long_polls.py [--polls 200] [--seconds 20] [--before /work/main/.venv/bin/python]

Starts a fresh server (SQLite, synchronous=FULL) with this interpreter's stepforge, creates one
activity, opens ``--polls`` long polls on it (no task ever comes) and samples the server process's
CPU time (psutil) over ``--seconds``. Every poll must still be waiting at the end of the window;
SIGTERM then ends them. ``--before PYTHON`` first measures the stepforge of another interpreter
(another checkout's venv, e.g. the unchanged main) the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time

import httpx
import psutil
from scratch import scratch_dir  # bench/scratch.py

TARGET = "AWSStepFunctions."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(python: str, port: int) -> subprocess.Popen[bytes]:
    data = str(scratch_dir("stepforge-polls-"))
    server = subprocess.Popen([python, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir", data],
                              stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the server did not start")


async def call(http: httpx.AsyncClient, operation: str, **params: object) -> dict[str, object]:
    response = await http.post("/", headers={"X-Amz-Target": TARGET + operation}, content=json.dumps(params))
    response.raise_for_status()
    result: dict[str, object] = response.json()
    return result


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def measure(endpoint: str, server: psutil.Process, polls: int, seconds: float) -> tuple[float, int]:
    """(CPU % of one core over the window, how many polls answered during it)."""
    limits = httpx.Limits(max_connections=polls + 10, max_keepalive_connections=polls + 10)
    async with httpx.AsyncClient(base_url=endpoint, timeout=120, limits=limits) as http:
        activity = str((await call(http, "CreateActivity", name="idle"))["activityArn"])
        pending = [asyncio.ensure_future(call(http, "GetActivityTask", activityArn=activity, workerName=f"w{i}"))
                   for i in range(polls)]
        await asyncio.sleep(2.0)  # every poll connected and waiting
        before, started = cpu_seconds(server), time.monotonic()
        await asyncio.sleep(seconds)
        used, elapsed = cpu_seconds(server) - before, time.monotonic() - started
        answered = sum(1 for poll in pending if poll.done())
        for poll in pending:
            poll.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return 100.0 * used / elapsed, answered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--before", default=None, metavar="PYTHON", help="measure this interpreter's stepforge first")
    args = parser.parse_args()
    runs = ([("before", args.before)] if args.before else []) + [("after" if args.before else "now", sys.executable)]
    for label, python in runs:
        percent, answered = bench(python, args.polls, args.seconds)
        print(f"{label:>6}: {args.polls} idle long polls for {args.seconds:.0f} s ({python}): server CPU "
              f"{percent:.1f} % of one core (target <= 5 %); answered early: {answered}", flush=True)


def bench(python: str, polls: int, seconds: float) -> tuple[float, int]:
    port = free_port()
    server = start_server(python, port)
    try:
        return asyncio.run(measure(f"http://127.0.0.1:{port}", psutil.Process(server.pid), polls, seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
