"""The CPU observing costs per execution, in one process: metrics and audit on vs off, no HTTP server.

    .venv/bin/python bench/observe_micro.py [--rounds 8] [--n 200] [--scenario hello|chain10|chain100|choice_loop|parallel|payload] [--profile]

Two deployments on SQLite (synchronous=FULL), one observed as ``serve`` observes by default (metrics,
dashboard, audit trail), one not. Each round sends ``--n`` StartExecution calls through the whole ASGI
application (edge, audit tap, API) of one deployment, then runs its engine's batches until nothing is
ready.
Rounds alternate between the deployments. Prints the median CPU per execution of each and their ratio,
and how much of the observed round the observing code itself took (the audit trail's recording, the
engine's observer), timed around those calls in a separate pass. ``--profile`` prints cProfile's
top functions of one observed round instead.

Without uvicorn's HTTP parsing and the client's polling the whole is smaller than a server's, so the
ratio here is an upper bound of what observing adds to a served execution.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from stepforge.api.operations import TARGET_PREFIX
from stepforge.engine.engine import Engine
from stepforge.observe.config import ObserveConfig
from stepforge.observe.observatory import Observatory
from stepforge.server import build
from stepforge.store.sqlite import SqliteStore

ROLE = "arn:aws:iam::123456789012:role/bench"
#: What an SDK sends (the server has no keys, so it is not checked; the audit trail reads its access key and region).
AUTHORIZATION = (b"AWS4-HMAC-SHA256 Credential=AKIDBENCH/20261202/us-east-1/states/aws4_request, "
                 b"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + b"0" * 64)
DEFINITIONS = {
    "hello": {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": "Hello World!", "End": True}}},
    "chain10": {"StartAt": "S0", "States": {
        f"S{i}": {"Type": "Pass", **({"Next": f"S{i + 1}"} if i < 9 else {"End": True})} for i in range(10)}},
    "chain100": {"StartAt": "P0", "States": {  # the benchmark kit's chain100: 100 Pass states, each adding a result
        f"P{i}": {"Type": "Pass", "Result": {"v": i}, "ResultPath": f"$.s{i}",
                  **({"Next": f"P{i + 1}"} if i < 99 else {"End": True})} for i in range(100)}},
    "parallel": {"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": True, "Branches": [  # the kit's parallel
        {"StartAt": f"B{b}S0", "States": {
            f"B{b}S{s}": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)", "b": b},
                          **({"Next": f"B{b}S{s + 1}"} if s < 9 else {"End": True})} for s in range(10)}}
        for b in range(10)]}}},
    "choice_loop": {"StartAt": "Init", "States": {  # the kit's choice_loop: 1,000 turns of Choice and Pass
        "Init": {"Type": "Pass", "Result": {"count": 0}, "ResultPath": "$.counter", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.counter.count", "NumericLessThan": 1000,
                                                 "Next": "Increment"}], "Default": "Done"},
        "Increment": {"Type": "Pass", "Parameters": {"count.$": "States.MathAdd($.counter.count, 1)"},
                      "ResultPath": "$.counter", "Next": "Check"},
        "Done": {"Type": "Succeed"}}},
    "payload": {"StartAt": "P0", "States": {  # the kit's payload: 20 Pass states carrying ~200 KB
        f"P{i}": {"Type": "Pass", "Result": i, "ResultPath": "$.step",
                  **({"Next": f"P{i + 1}"} if i < 19 else {"End": True})} for i in range(20)}},
}


def _rows(target_bytes: int = 200 * 1024) -> list[dict[str, Any]]:
    """The kit's payload scenario's rows: as many as fit in ``target_bytes`` of compact JSON."""
    rows: list[dict[str, Any]] = []
    size = 2
    while True:
        k = len(rows)
        row = {"id": k, "name": f"item-{k:06d}", "tags": ["alpha", "beta", "gamma"], "price": round(k * 1.25, 2),
               "active": k % 2 == 0}
        size += len(json.dumps(row, separators=(",", ":"))) + 1
        if size > target_bytes:
            return rows
        rows.append(row)


#: Carried in each execution's input by the payload scenario (~200 KB).
BLOB = _rows()


class Deployment:
    """One application and its engine (not started: batches run on the caller's thread)."""

    def __init__(self, observed: bool, scenario: str) -> None:
        definition, self.scenario = DEFINITIONS[scenario], scenario
        data = self.data = Path(tempfile.mkdtemp(prefix=f"stepforge-micro-{'on' if observed else 'off'}-"))
        config = ObserveConfig(metrics=observed, audit=observed, node="bench")
        self.observe = Observatory(config, data_dir=data)
        self.store = SqliteStore(data / "db.sqlite")
        self.app, self.engine = build(store=self.store, observe=self.observe)
        self.machine = str(self.call("CreateStateMachine", {"name": "m", "definition": json.dumps(definition),
                                                            "roleArn": ROLE})["stateMachineArn"])
        self.started = 0

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return asyncio.run(self._call(operation, params))

    async def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(params).encode()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "path": "/",
                 "raw_path": b"/", "query_string": b"", "root_path": "", "scheme": "http",
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8083),
                 "headers": [(b"host", b"127.0.0.1:8083"), (b"content-type", b"application/x-amz-json-1.0"),
                             (b"x-amz-target", f"{TARGET_PREFIX}{operation}".encode()),
                             (b"user-agent", b"observe-micro"), (b"authorization", AUTHORIZATION),
                             (b"content-length", str(len(body)).encode())]}
        sent: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                sent.append(message.get("body", b""))

        await self.app(scope, receive, send)
        answer: dict[str, Any] = json.loads(b"".join(sent) or b"{}")
        return answer

    def round(self, n: int) -> float:
        """CPU seconds to start ``n`` executions, run them to the end, and write their audit lines."""
        begin = time.process_time()
        asyncio.run(self._starts(n))
        settle(self.engine)
        return time.process_time() - begin

    async def _starts(self, n: int) -> None:
        for _ in range(n):
            self.started += 1
            await self._call("StartExecution", {"stateMachineArn": self.machine, "name": f"e{self.started}",
                                                "input": json.dumps(self.input(self.started))})

    def input(self, index: int) -> dict[str, Any]:
        return {"i": index, "blob": BLOB} if self.scenario == "payload" else {"i": index, "n": 0}

    def close(self) -> None:
        self.observe.close()
        self.store.close()
        shutil.rmtree(self.data, ignore_errors=True)


def settle(engine: Engine) -> None:
    while engine.run_once(time.time()) or engine.dispatcher.has_outcomes():
        pass


def measure(rounds: int, n: int, scenario: str) -> None:
    on, off = Deployment(True, scenario), Deployment(False, scenario)
    on.round(n), off.round(n)  # warm up: caches, imports, first pages
    cpu: dict[str, list[float]] = {"on": [], "off": []}
    for index in range(rounds):
        order = (("on", on), ("off", off)) if index % 2 == 0 else (("off", off), ("on", on))
        for name, deployment in order:
            cpu[name].append(deployment.round(n) / n)
    on_us, off_us = (statistics.median(cpu[k]) * 1e6 for k in ("on", "off"))
    print(f"CPU per execution: on {on_us:.0f} us, off {off_us:.0f} us, on/off {on_us / off_us:.3f} "
          f"(median of {rounds} rounds of {n})")
    observer_s, audit_s = observing_share(on, n)
    print(f"observing code in an observed round, per execution: engine observer {observer_s * 1e6:.1f} us, "
          f"audit trail's recording {audit_s * 1e6:.1f} us")
    on.close(), off.close()


def observing_share(deployment: Deployment, n: int) -> tuple[float, float]:
    """CPU seconds per execution inside the engine's observer and the audit trail's recording (timed around
    them; the audit tap's own bookkeeping around the request is not included)."""
    spent = [0.0, 0.0]
    observer = deployment.engine.observer
    audit = deployment.observe.audit
    if observer is not None:
        def timed_observer(done: Any) -> None:
            begin = time.thread_time()
            observer(done)
            spent[0] += time.thread_time() - begin
        deployment.engine.observer = timed_observer
    if audit is not None:
        record = audit.record

        def timed_record(call: Any) -> None:
            begin = time.thread_time()
            record(call)
            spent[1] += time.thread_time() - begin
        audit.record = timed_record  # type: ignore[method-assign]
    deployment.round(n)
    deployment.engine.observer = observer
    if audit is not None:
        del audit.record
    return spent[0] / n, spent[1] / n


def profile(n: int, scenario: str) -> None:
    on = Deployment(True, scenario)
    on.round(n)
    profiler = cProfile.Profile()
    profiler.enable()
    on.round(n)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
    on.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--scenario", default="hello", choices=sorted(DEFINITIONS))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.profile:
        profile(args.n, args.scenario)
    else:
        measure(args.rounds, args.n, args.scenario)


if __name__ == "__main__":
    main()
