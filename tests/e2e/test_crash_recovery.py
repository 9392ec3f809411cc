"""Crash safety: a real server is SIGKILLed at random instants, again and again, and restarted.

Hundreds of executions (Waits, Choice loops, Parallel, Map, activity tasks) must all end SUCCEEDED
with the right output and a gap-free history that entered each state exactly as often as the
definition says: state transitions are exactly-once, tasks at-least-once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from backends import BACKENDS
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from e2e_kit import whole_answers

from tests.e2e.conftest import store_arguments

ROLE = "arn:aws:iam::000000000000:role/crash"
KILLS = int(os.environ.get("STEPFORGE_CRASH_KILLS", "20"))
PER_KIND = int(os.environ.get("STEPFORGE_CRASH_EXECUTIONS", "60"))
#: How long a restart may take to accept connections: generous, as clients wait as long (see ``persist``);
#: on a loaded machine the imports alone take over ten seconds.
RESTART_SECONDS = 60


def wait_then_pass(seconds: int, prefix: str = "") -> dict[str, Any]:
    return {"StartAt": f"{prefix}Nap", "States": {
        f"{prefix}Nap": {"Type": "Wait", "Seconds": seconds, "Next": f"{prefix}Done"},
        f"{prefix}Done": {"Type": "Pass", "Parameters": {"slept.$": "$.v"}, "End": True},
    }}


LOOP = {"StartAt": "Init", "States": {
    "Init": {"Type": "Pass", "Parameters": {"i": 0, "v.$": "$.v"}, "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": 25, "Next": "Step"}],
              "Default": "Done"},
    "Step": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "v.$": "$.v"}, "Next": "Check"},
    "Done": {"Type": "Succeed"},
}}

PARALLEL = {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": True, "Branches": [
    wait_then_pass(1, "A"), wait_then_pass(2, "B"),
    {"StartAt": "Now", "States": {"Now": {"Type": "Pass", "End": True}}},
]}}}

MAP = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "End": True, "ItemsPath": "$.items", "MaxConcurrency": 2,
    "ItemSelector": {"v.$": "$$.Map.Item.Value"},
    "ItemProcessor": wait_then_pass(1),
}}}


def activity_machine(activity_arn: str) -> dict[str, Any]:
    return {"StartAt": "Work", "States": {"Work": {
        "Type": "Task", "Resource": activity_arn, "TimeoutSeconds": 4, "End": True,
        "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "BackoffRate": 1, "MaxAttempts": 20}],
    }}}


def expected(kind: str, v: int) -> tuple[Any, Counter[str]]:
    """The output and the number of times each state is entered."""
    if kind == "wait":
        return {"slept": v}, Counter({"Nap": 1, "Done": 1})
    if kind == "loop":
        return {"i": 25, "v": v}, Counter({"Init": 1, "Check": 26, "Step": 25, "Done": 1})
    if kind == "parallel":
        entries = Counter({"Fan": 1, "ANap": 1, "ADone": 1, "BNap": 1, "BDone": 1, "Now": 1})
        return [{"slept": v}, {"slept": v}, {"v": v, "items": [0, 1, 2]}], entries
    if kind == "map":
        return [{"slept": i} for i in range(3)], Counter({"Each": 1, "Nap": 3, "Done": 3})
    return {"doubled": 2 * v}, Counter({"Work": 1})


class Server:
    """A stepforge process on a fixed port and data directory that can be killed and restarted."""

    def __init__(self, data_dir: Path, port: int, store: list[str] | None = None, args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None) -> None:
        self.data_dir, self.port, self.args, self.env = data_dir, port, args, env
        self.store = store if store is not None else ["--data-dir", str(data_dir)]
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.restarts: list[float] = []  # seconds each start took to accept connections

    def start(self) -> None:
        began = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stepforge.cli", "serve", "--port", str(self.port), *self.store, *self.args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self.env)
        deadline = time.monotonic() + RESTART_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                self.restarts.append(time.monotonic() - began)
                return
            except OSError:
                time.sleep(0.05)
        ended = self.process.poll()
        if ended is not None:
            stderr = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
            raise AssertionError(f"server exited with {ended} on restart: {stderr[-3000:]}")
        raise AssertionError(f"server did not come back within {RESTART_SECONDS} s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def restartable_port() -> int:
    """A free port below the ephemeral range (see /proc/sys/net/ipv4/ip_local_port_range), so that while
    the killed server is down no other process of the suite — whose servers bind port 0 — can take it
    and answer our clients in its place."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(20_000, 30_000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 30000")


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    store = store_arguments(request, request.param, tmp_path, f"crash_{uuid.uuid4().hex[:8]}")
    running = Server(tmp_path / "data", restartable_port(), store)
    running.start()
    yield running
    running.stop()


def client(port: int) -> Any:
    """A client for a server that is killed again and again: an answer cut short raises, as a lost connection does."""
    return whole_answers(boto3.client(
        "stepfunctions", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 0}, read_timeout=70, connect_timeout=2),
    ))


def persist(call: Any, **params: Any) -> Any:
    """Call through crashes: retry while the server is down (the API is idempotent where it matters)."""
    deadline = time.monotonic() + RESTART_SECONDS + 30
    while True:
        try:
            return call(**params)
        except (BotoCoreError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class Worker(threading.Thread):
    """An activity worker that keeps polling through server crashes."""

    def __init__(self, port: int, activity_arn: str) -> None:
        super().__init__(daemon=True)
        self.sfn, self.activity_arn = client(port), activity_arn
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                task = self.sfn.get_activity_task(activityArn=self.activity_arn, workerName="crash-worker")
            except (BotoCoreError, ClientError, ConnectionError):
                time.sleep(0.1)
                continue
            if task.get("taskToken"):
                self.answer(task["taskToken"], json.loads(task["input"]))

    def answer(self, token: str, task_input: dict[str, Any]) -> None:
        output = json.dumps({"doubled": 2 * task_input["v"]})
        try:
            persist(self.sfn.send_task_success, taskToken=token, output=output)
        except ClientError:
            pass  # timed out meanwhile: the state's Retry schedules it again


def start_all(sfn: Any, machines: dict[str, str]) -> list[tuple[str, str, int]]:
    started = []
    for kind, arn in machines.items():
        for v in range(PER_KIND):
            name = f"{kind}-{v}"
            value = {"v": v, "items": [0, 1, 2]}
            try:
                execution = persist(sfn.start_execution, stateMachineArn=arn, name=name, input=json.dumps(value))
                assert "executionArn" in execution, f"StartExecution answered without its ARN: {execution}"
                started.append((kind, execution["executionArn"], v))
            except ClientError as exc:  # started before a crash, response lost, already finished
                assert exc.response["Error"]["Code"] == "ExecutionAlreadyExists"
                started.append((kind, arn.replace(":stateMachine:", ":execution:") + f":{name}", v))
    return started


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = persist(sfn.get_execution_history, executionArn=arn, maxResults=1000,
                       **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def test_executions_survive_repeated_sigkill(server: Server) -> None:
    sfn = client(server.port)
    activity = sfn.create_activity(name="crash-activity")["activityArn"]
    definitions = {"wait": wait_then_pass(1), "loop": LOOP, "parallel": PARALLEL, "map": MAP,
                   "activity": activity_machine(activity)}
    machines = {kind: sfn.create_state_machine(name=f"crash-{kind}", definition=json.dumps(d),
                                               roleArn=ROLE)["stateMachineArn"] for kind, d in definitions.items()}
    worker = Worker(server.port, activity)
    worker.start()
    rng = random.Random(7)

    killer_done = threading.Event()

    def killer() -> None:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.2, 1.2))
            server.kill()
            server.start()
        killer_done.set()

    threading.Thread(target=killer, daemon=True).start()
    started = start_all(sfn, machines)
    killer_done.wait(timeout=120)

    deadline = time.monotonic() + 120
    for kind, arn, v in started:
        while (status := persist(sfn.describe_execution, executionArn=arn)["status"]) == "RUNNING":
            assert time.monotonic() < deadline, f"{arn} still RUNNING"
            time.sleep(0.1)
        described = persist(sfn.describe_execution, executionArn=arn)
        output, entries = expected(kind, v)
        assert status == "SUCCEEDED", (arn, described)
        assert json.loads(described["output"]) == output
        events = history(sfn, arn)
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        entered = Counter(e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered"))
        assert entered == entries, arn
    worker.stopping.set()

    server.stop()
    check = subprocess.run([sys.executable, "-m", "stepforge.cli", "db", "check", *server.store],
                           check=False, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert server.kills == KILLS, f"restarts took {[round(s, 1) for s in server.restarts]} s"
    print(f"survived {server.kills} SIGKILLs with {len(started)} executions (restarts took up to "
          f"{max(server.restarts):.1f} s): {check.stdout.strip()}")


def test_sigterm_shuts_down_gracefully_and_a_restart_goes_on(server: Server) -> None:
    sfn = client(server.port)
    activity = sfn.create_activity(name="graceful")["activityArn"]
    machine = sfn.create_state_machine(name="graceful", roleArn=ROLE, definition=json.dumps({
        "StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 2, "Next": "Work"},
                                     "Work": {"Type": "Task", "Resource": activity, "End": True}}}))
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"v": 1}')["executionArn"]
    poll = threading.Thread(target=lambda: client(server.port).get_activity_task(activityArn=activity), daemon=True)
    poll.start()  # an idle long poll must not hold the shutdown up for a minute
    time.sleep(0.3)
    assert server.process is not None
    began = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=15) == 0
    assert time.monotonic() - began < 10
    server.start()
    worker = Worker(server.port, activity)
    worker.start()
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    worker.stopping.set()
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"doubled": 2})
