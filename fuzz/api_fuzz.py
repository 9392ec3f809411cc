"""Fuzz the Step Functions API of a real ``stepforge serve``: malformed bodies and headers, values of the
wrong type, huge and deeply nested values, for every operation of botocore's model.

    .venv/bin/python fuzz/api_fuzz.py [--requests 5000] [--seed 1]

It starts a server on a free port and a fresh data directory, sends a bounded number of requests from
one process (loopback only), and prints how many answers had each status, every 5xx with its request,
whether the server is still alive and answering, and its RSS before and after. Exit 1 on any 5xx or a
dead server. Long polls (GetActivityTask) and StartSyncExecution are sent with a short client timeout:
a timeout there is an idle wait, not a failure.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

from stepforge.api.shapes import MODEL

TARGET = "AWSStepFunctions."
CONTENT_TYPE = "application/x-amz-json-1.0"
SLOW = ("GetActivityTask", "StartSyncExecution")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, data: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir", data]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not come up")


def deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": [value]}
    return value


def wild(rng: random.Random) -> Any:
    """A value of any shape: the model's types, the wrong types, huge and deep ones."""
    choices = [
        lambda: None, lambda: True, lambda: rng.randint(-2**63, 2**63), lambda: rng.random() * 1e308,
        lambda: "", lambda: "x" * rng.choice([1, 80, 81, 256, 257, 2048, 262_145]),
        lambda: "\u0000\ud7ff\U0001F600" * rng.randint(1, 50), lambda: "arn:aws:states:us-east-1:0:stateMachine:x",
        lambda: [wild(rng) for _ in range(rng.randint(0, 3))], lambda: {"k": wild(rng)},
        lambda: deep(rng.choice([10, 100, 300])), lambda: "{\"StartAt\": 1}", lambda: "{% $x %}",
    ]
    return rng.choice(choices)()


def member_value(shape_name: str, rng: random.Random, level: int = 0) -> Any:
    """Mostly a value of the member's shape, sometimes anything at all."""
    shape = MODEL["shapes"].get(shape_name, {})
    if rng.random() < 0.25 or level > 3:
        return wild(rng)
    kind = shape.get("type")
    if kind == "structure":
        return {name: member_value(sub, rng, level + 1) for name, sub in shape.get("members", {}).items()
                if rng.random() < 0.6}
    if kind == "list":
        return [member_value(shape["member"], rng, level + 1) for _ in range(rng.randint(0, 3))]
    if kind == "map":
        return {str(wild(rng))[:20]: member_value(shape["value"], rng, level + 1) for _ in range(rng.randint(0, 2))}
    if kind in ("integer", "long"):
        return rng.choice([0, -1, 1, shape.get("max", 100), (shape.get("max") or 100) + 1])
    if kind == "boolean":
        return rng.choice([True, False, "true"])
    if "enum" in shape:
        return rng.choice([*shape["enum"], "NOPE"])
    return rng.choice(["x", "arn:aws:states:us-east-1:000000000000:stateMachine:fuzz", "a" * (shape.get("max", 80) + 1)])


def body(operation: str, rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.05:
        return rng.choice([b"", b"{", b"[]", b"null", b"\xff\xfe", b'{"a": NaN}', b"[" * 20_000, b"{}" * 1000])
    if roll < 0.08:
        return b'{"definition": "' + b"a" * 5_000_000 + b'"}'  # past the 4 MiB limit
    shape = MODEL["shapes"][MODEL["operations"][operation]]
    return json.dumps(member_value(MODEL["operations"][operation], rng) if shape else {}).encode()


def headers(operation: str, rng: random.Random) -> dict[str, str]:
    found = {"content-type": CONTENT_TYPE, "x-amz-target": TARGET + operation}
    roll = rng.random()
    if roll < 0.05:
        found["x-amz-target"] = rng.choice(["", "AWSStepFunctions.", "Nope.StartExecution", TARGET + "X" * 300])
    elif roll < 0.1:
        found["authorization"] = rng.choice(["garbage", "AWS4-HMAC-SHA256 Credential=/", "x" * 8000])
    elif roll < 0.13:
        found["content-type"] = rng.choice(["text/plain", "", "application/json; charset=latin-1"])
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    port, data = free_port(), tempfile.mkdtemp(prefix="stepforge-fuzz-")
    server = start_server(port, data)
    process = psutil.Process(server.pid)
    rss_before = process.memory_info().rss
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = sorted(MODEL["operations"])
    started, peak = time.monotonic(), rss_before
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for count in range(args.requests):
                if count % 100 == 0:
                    peak = max(peak, process.memory_info().rss)
                operation = rng.choice(operations)
                payload = body(operation, rng)
                timeout = 1.0 if operation in SLOW else 30.0
                try:
                    answer = client.post("/", content=payload, headers=headers(operation, rng), timeout=timeout)
                except httpx.TimeoutException:
                    statuses[0] += 1  # an idle long poll or a sync execution still running
                    continue
                statuses[answer.status_code] += 1
                if answer.status_code >= 500:
                    failures.append(f"{operation} {answer.status_code} {answer.text[:200]} <- {payload[:300]!r}")
            alive = client.post("/", content=b"{}", headers={"content-type": CONTENT_TYPE,
                                                            "x-amz-target": TARGET + "ListStateMachines"})
        rss_after = process.memory_info().rss
        peak = max(peak, rss_after)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{args.requests} requests in {time.monotonic() - started:.1f} s; statuses: "
          + ", ".join(f"{code or 'client timeout'}: {n}" for code, n in sorted(statuses.items())))
    print(f"server RSS {rss_before / 2**20:.0f} MB -> {rss_after / 2**20:.0f} MB (peak {peak / 2**20:.0f} MB); "
          f"still answering: {alive.status_code == 200}")
    for failure in failures[:20]:
        print("5xx:", failure)
    print(f"{len(failures)} answers 5xx")
    shutil_rm(data)
    return 1 if failures or alive.status_code != 200 else 0


def shutil_rm(path: str) -> None:
    import shutil

    shutil.rmtree(Path(path), ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
