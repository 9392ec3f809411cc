"""Failover: three nodes share one PostgreSQL database; the busiest is SIGKILLed twice, mid-flight.

Two ``stepforge serve`` nodes and one ``stepforge engine`` run 300 executions — Waits, Retry back-offs,
activity tasks (a worker), Lambda-function tasks (Python functions), Parallel and a Distributed Map.
Twice the node that has advanced the most executions is killed (and started again). Every execution
must end with exactly the right output, a gap-free history that entered each state exactly as often as
the definition says (transitions exactly-once, tasks at-least-once), and the dead node's work must
move on within its lease TTL + 2 s.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from e2e_kit import whole_answers
from lockstep import in_lockstep

from stepforge.store.base import StoreUnavailable
from stepforge.store.postgres import PostgresStore

APPS = Path(__file__).parent / "apps"
ROLE = "arn:aws:iam::000000000000:role/failover"
FN = "arn:aws:lambda:us-east-1:000000000000:function:"
TTL = 3.0
PER_KIND = int(os.environ.get("STEPFORGE_FAILOVER_EXECUTIONS", "50"))
KILLS = 2


def nap(seconds: int, prefix: str = "") -> dict[str, Any]:
    return {"StartAt": f"{prefix}Nap", "States": {
        f"{prefix}Nap": {"Type": "Wait", "Seconds": seconds, "Next": f"{prefix}Done"},
        f"{prefix}Done": {"Type": "Pass", "Parameters": {"slept.$": "$.v"}, "End": True},
    }}


DOUBLE = {"StartAt": "Dbl", "States": {"Dbl": {"Type": "Task", "Resource": FN + "double", "End": True}}}
RETRY = {"StartAt": "Work", "States": {"Work": {
    "Type": "Task", "Resource": FN + "flaky", "End": True,
    "Parameters": {"v.$": "$.v", "retry.$": "$$.State.RetryCount"},
    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "BackoffRate": 1.5, "MaxAttempts": 3}],
}}}
PARALLEL = {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": True, "Branches": [nap(1, "A"), DOUBLE]}}}
DISTRIBUTED = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "End": True, "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value"},
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **nap(1)},
}}}


def activity_machine(activity_arn: str) -> dict[str, Any]:
    return {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": activity_arn, "TimeoutSeconds": 8, "End": True,
        "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "BackoffRate": 1, "MaxAttempts": 20}],
    }}}


def expected(kind: str, v: int) -> tuple[Any, Counter[str]]:
    """An execution's output, and how many times it enters each state."""
    return {
        "wait": ({"slept": v}, Counter({"Nap": 1, "Done": 1})),
        "retry": ({"v": v, "tries": 2}, Counter({"Work": 1})),
        "lambda": ({"doubled": 2 * v}, Counter({"Dbl": 1})),
        "activity": ({"doubled": 2 * v}, Counter({"Ask": 1})),
        "parallel": ([{"slept": v}, {"doubled": 2 * v}], Counter({"Fan": 1, "ANap": 1, "ADone": 1, "Dbl": 1})),
        "map": ([{"slept": 0}, {"slept": 1}], Counter({"Each": 1})),
    }[kind]


class Node:
    """One node process (``serve`` on a fixed port, or ``engine``) that can be killed and started again."""

    def __init__(self, kind: str, url: str, workdir: Path, port: int = 0, ttl: float = TTL) -> None:
        self.kind, self.url, self.workdir, self.port, self.ttl = kind, url, workdir, port, ttl
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "stepforge.cli", self.kind, "--db", self.url, "--lease-ttl", str(self.ttl),
                   "--data-dir", str(self.workdir), "--functions", "failover_app"]
        return command + ["--port", str(self.port)] if self.kind == "serve" else command

    def start(self) -> None:
        command = self.command()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(APPS), os.environ.get("PYTHONPATH", "")])}
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.workdir / "stderr.log", "ab") as stderr:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Watch(threading.Thread):
    """Reads the nodes table every 0.1 s: which nodes are registered, and when each disappeared (its
    work adopted by the others and its row forgotten)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.store = PostgresStore(url)
        self.nodes: dict[str, Any] = {}
        self.gone: dict[str, float] = {}
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stopping.wait(0.1):
            try:
                rows = self.store.list_nodes()
            except StoreUnavailable as exc:  # the database is busy: look again
                print(f"watch: {exc}")
                continue
            now = time.monotonic()
            with self.lock:
                for gone in set(self.nodes) - {n.id for n in rows}:
                    self.gone.setdefault(gone, now)
                self.nodes = {n.id: n for n in rows}

    def of_pid(self, pid: int) -> Any:
        with self.lock:
            return next((n for n in self.nodes.values() if n.pid == pid), None)

    def close(self) -> None:
        self.stopping.set()
        self.join()
        self.store.close()


def client(port: int) -> Any:
    """A client of a node that may be killed: an answer cut short raises, as a lost connection does."""
    return whole_answers(boto3.client(
        "stepfunctions", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 0}, read_timeout=70, connect_timeout=2)))


class Api:
    """Calls any serve node: a call that finds its node dead goes to the next one."""

    def __init__(self, ports: list[int]) -> None:
        self.clients = [client(port) for port in ports]
        self.turn = 0

    def call(self, operation: str, **params: Any) -> Any:
        deadline = time.monotonic() + 60
        while True:
            self.turn += 1
            sfn = self.clients[self.turn % len(self.clients)]
            try:
                return getattr(sfn, operation)(**params)
            except (BotoCoreError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in ("ServiceUnavailable", "InternalFailure"):
                    raise
                time.sleep(0.1)


def work_activities(port: int, api: Api, activity_arn: str, stopping: threading.Event) -> None:
    """An activity worker polling one serve node (again and again while it is down), answering through any."""
    sfn = client(port)
    while not stopping.is_set():
        try:
            task = sfn.get_activity_task(activityArn=activity_arn, workerName=f"worker-{port}")
        except (BotoCoreError, ClientError, ConnectionError):
            time.sleep(0.2)
            continue
        if task.get("taskToken"):
            try:
                api.call("send_task_success", taskToken=task["taskToken"],
                         output=json.dumps({"doubled": 2 * json.loads(task["input"])["v"]}))
            except ClientError:
                pass  # timed out meanwhile: the state's Retry schedules it again


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)
    return found


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path) -> Iterator[tuple[list[Node], Watch]]:
    nodes = [Node("serve", postgres_url, tmp_path / "serve-a", free_port()),
             Node("serve", postgres_url, tmp_path / "serve-b", free_port()),
             Node("engine", postgres_url, tmp_path / "engine-c")]
    watch = Watch(postgres_url)
    watch.start()
    for node in nodes:
        node.start()
    try:
        for node in nodes:
            wait_for(lambda node=node: watch.of_pid(node.pid), 30, f"{node.kind} node to join")  # type: ignore[misc]
        yield nodes, watch
    finally:
        for node in nodes:
            node.stop()
        watch.close()
        for node in nodes:
            print((node.workdir / "stderr.log").read_text()[-3000:])


class Starter(threading.Thread):
    """Starts ``PER_KIND`` executions of each machine, a few calls at a time, through any serve node."""

    def __init__(self, api_of: Callable[[], Api], machines: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.api_of, self.machines = api_of, machines
        self.started: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()

    def run(self) -> None:
        todo = [(kind, machine, v) for v in range(PER_KIND) for kind, machine in self.machines.items()]
        callers = [threading.Thread(target=self._start, args=(todo[i::4],)) for i in range(4)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join()

    def _start(self, todo: list[tuple[str, str, int]]) -> None:
        api = self.api_of()
        for kind, machine, v in todo:
            name = f"{kind}-{v}"
            try:
                arn = api.call("start_execution", stateMachineArn=machine, name=name,
                               input=json.dumps({"v": v, "items": [0, 1]}))["executionArn"]
            except ClientError as exc:  # its node died after the commit, before the answer
                assert exc.response["Error"]["Code"] == "ExecutionAlreadyExists"
                arn = machine.replace(":stateMachine:", ":execution:") + f":{name}"
            with self.lock:
                self.started.append((kind, arn, v))

    def count(self) -> int:
        with self.lock:
            return len(self.started)


def history(api: Api, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = api.call("get_execution_history", executionArn=arn, maxResults=1000,
                        **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def kill_the_busiest(nodes: list[Node], watch: Watch) -> tuple[Node, float]:
    """SIGKILL the node that has advanced the most executions; returns it and when it died; then
    start it again once the others have taken its work over."""
    def load(node: Node) -> int:
        row = watch.of_pid(node.pid)
        return -1 if row is None else int(row.advanced) + int(row.held)

    busiest = max(nodes, key=load)
    row = watch.of_pid(busiest.pid)
    busiest.kill()
    killed = time.monotonic()
    wait_for(lambda: row.id in watch.gone, TTL + 30, f"the work of {row.id} to be adopted")
    busiest.start()
    wait_for(lambda: watch.of_pid(busiest.pid), 30, "the restarted node to join")
    return busiest, watch.gone[row.id] - killed


def test_executions_survive_losing_the_busiest_node_twice(cluster: tuple[list[Node], Watch]) -> None:
    nodes, watch = cluster
    api = Api([node.port for node in nodes if node.kind == "serve"])
    listed = subprocess.run([sys.executable, "-m", "stepforge.cli", "nodes", "--db", nodes[0].url],
                            check=True, capture_output=True, text=True).stdout
    assert "3 node(s)" in listed and "engine" in listed and "serve" in listed
    activity = api.call("create_activity", name="failover")["activityArn"]
    definitions = {"wait": nap(2), "retry": RETRY, "lambda": DOUBLE, "activity": activity_machine(activity),
                   "parallel": PARALLEL, "map": DISTRIBUTED}
    machines = {kind: api.call("create_state_machine", name=f"failover-{kind}", definition=json.dumps(d),
                               roleArn=ROLE)["stateMachineArn"] for kind, d in definitions.items()}
    stopping = threading.Event()
    for node in nodes:
        if node.kind == "serve":
            for _ in range(2):
                threading.Thread(target=work_activities, args=(node.port, api, activity, stopping), daemon=True).start()

    began = time.monotonic()
    starter = Starter(lambda: Api([node.port for node in nodes if node.kind == "serve"]), machines)
    starter.start()
    adopted_within = []
    total = PER_KIND * len(machines)
    for kill in range(1, KILLS + 1):  # kill while executions keep starting, with many more in flight
        wait_for(lambda kill=kill: starter.count() >= total * kill // (KILLS + 2), 120,  # type: ignore[misc]
                 "executions to start")
        _, seconds = kill_the_busiest(nodes, watch)
        adopted_within.append(seconds)
    starter.join()
    started = starter.started
    print(f"started {len(started)} executions in {time.monotonic() - began:.1f} s")

    deadline = time.monotonic() + 120
    for kind, arn, v in started:
        while (described := api.call("describe_execution", executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, f"{arn} still RUNNING"
            time.sleep(0.1)
        output, entries = expected(kind, v)
        assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", output), described
        events = history(api, arn)
        assert [e["id"] for e in events] == list(range(1, len(events) + 1)), arn
        entered = Counter(e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered"))
        assert entered == entries, arn
    stopping.set()
    print(f"{len(started)} executions done {time.monotonic() - began:.1f} s after the first started; the dead "
          f"node's work moved on after {[round(s, 2) for s in adopted_within]} s (TTL {TTL} s)")
    assert all(seconds <= TTL + 2 for seconds in adopted_within), adopted_within


@pytest.fixture
def pair(postgres_url: str, tmp_path: Path) -> Iterator[list[Node]]:
    """Two ``serve`` nodes on one database, both answering."""
    nodes = [Node("serve", postgres_url, tmp_path / f"serve-{name}", free_port()) for name in "ab"]
    for node in nodes:
        node.start()
    try:
        for node in nodes:
            wait_for(lambda node=node: _answers(node.port), 30, "a serve node to answer")  # type: ignore[misc]
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def test_a_serve_node_restarted_on_its_data_directory_takes_its_task_back_before_its_lease_ends(
        postgres_url: str, tmp_path: Path) -> None:
    node = Node("serve", postgres_url, tmp_path / "serve-a", free_port(), ttl=60.0)
    node.start()
    try:
        wait_for(lambda: _answers(node.port), 30, "the node to answer")
        api = client(node.port)
        machine = api.create_state_machine(name="restarted", roleArn=ROLE, definition=json.dumps(ONCE_SLOW))
        marks = tmp_path / "marks.txt"
        arn = api.start_execution(stateMachineArn=machine["stateMachineArn"],
                                  input=json.dumps({"marks": str(marks)}))["executionArn"]
        wait_for(lambda: marks.exists() and marks.read_text(), 20, "the task to be in flight")  # its line written
        second = subprocess.run(Node("serve", postgres_url, node.workdir, free_port()).command(), check=False,
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 2 and "is in use by process" in second.stderr, second.stderr
        node.kill()  # the task dies with it; its node's lease would hold for another minute
        node.start()
        wait_for(lambda: _answers(node.port), 30, "the restarted node to answer")
        described = wait_for(lambda: _ended(client(node.port), arn), 20, "the restarted node to finish the task")
        assert described["status"] == "SUCCEEDED", described
        assert marks.read_text().splitlines() == ["called", "called"]  # at-least-once: it ran again
    finally:
        node.stop()


ONCE_SLOW = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": FN + "slow_once", "End": True,
                                                    "Parameters": {"marks.$": "$.marks"}}}}


def _ended(api: Any, arn: str) -> dict[str, Any] | None:
    described = api.describe_execution(executionArn=arn)
    return None if described["status"] == "RUNNING" else dict(described)


def _answers(port: int) -> bool:
    try:
        client(port).list_activities()
    except (BotoCoreError, ConnectionError):
        return False
    return True


def test_two_nodes_publishing_one_machine_at_once_number_versions_apart(pair: list[Node]) -> None:
    """Even rounds: both nodes UpdateStateMachine(publish=true) with definitions of their own at once, and
    get two versions. Odd rounds: one node updates, then both PublishStateMachineVersion at once, and get
    the same version (its revision was published already when the second looked)."""
    rounds = 8
    apis = [client(node.port) for node in pair]
    machine = apis[0].create_state_machine(name="publish-race", definition=json.dumps(nap(0)),
                                           roleArn=ROLE)["stateMachineArn"]
    answers: dict[int, list[tuple[str, str]]] = {round_: [] for round_ in range(rounds)}  # (version, definition)

    def publish(index: int, both: threading.Barrier) -> None:
        api = apis[index]
        for round_ in range(rounds):
            definition = json.dumps(nap(0, f"N{index}R{round_}"))
            if round_ % 2 == 0:
                both.wait()  # both nodes publish in the same instant
                arn = api.update_state_machine(stateMachineArn=machine, definition=definition,
                                               publish=True)["stateMachineVersionArn"]
            else:
                if index == 0:
                    api.update_state_machine(stateMachineArn=machine, definition=definition)
                both.wait()
                arn = api.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
            answers[round_].append((arn, definition))
            both.wait()  # the round is over on both nodes

    in_lockstep(publish)

    def definition_of(arn: str) -> Any:
        return json.loads(apis[1].describe_state_machine(stateMachineArn=arn)["definition"])

    for round_, answered in answers.items():
        arns = {arn for arn, _ in answered}
        if round_ % 2 == 0:
            assert len(arns) == 2, answered  # two versions, each holding what its caller sent
            assert all(definition_of(arn) == json.loads(sent) for arn, sent in answered)
        else:
            assert len(arns) == 1, answered
            assert definition_of(arns.pop()) == nap(0, f"N0R{round_}")
    listed = apis[1].list_state_machine_versions(stateMachineArn=machine, maxResults=100)["stateMachineVersions"]
    numbers = sorted(int(version["stateMachineVersionArn"].rsplit(":", 1)[1]) for version in listed)
    assert numbers == list(range(1, rounds * 3 // 2 + 1))  # no number taken twice, none skipped
