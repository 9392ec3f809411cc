"""Exactly once where AWS promises it, and storage faults, against real ``stepforge serve`` processes.

Each test runs servers of its own on a data directory of its own: a second server on the same
directory, a damaged database, an unusable approval key, approval links racing SendTaskFailure,
a long poll whose client has gone.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from stepforge.tasks.approval import KEY_NAME, Signer
from tests.e2e.conftest import ROLE_ARN, _client
from tests.server_kit import accepts_connections, free_port, stop

STARTUP_SECONDS = 20.0
#: A function that notes each call in a file, then takes a while (a side effect in flight).
FUNCTIONS = '''
import pathlib, time

def mark(event, context):
    with open(event["marks"], "a") as marks:
        marks.write("called\\n")
    time.sleep(event.get("seconds", 0))
    return {"done": True}
'''


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sfn(self) -> Any:
        return _client(self.url, "us-east-1")


def command(data_dir: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir", str(data_dir),
            "--functions", "faults_functions"]


def launch(workdir: Path, data_dir: Path, port: int | None = None) -> Server:
    (workdir / "faults_functions.py").write_text(FUNCTIONS)
    port = port or free_port()
    log = workdir / f"stderr-{port}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command(data_dir, port), cwd=workdir, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not accepts_connections(port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"server did not start: {log.read_text(errors='replace')}")
        time.sleep(0.05)
    return Server(process, port, data_dir, log)


def refused(workdir: Path, data_dir: Path, port: int) -> str:
    """Run a server that must refuse to start: its stderr (it must exit 2 within the time limit)."""
    (workdir / "faults_functions.py").write_text(FUNCTIONS)
    done = subprocess.run(command(data_dir, port), check=False, cwd=workdir, capture_output=True,
                          timeout=STARTUP_SECONDS)
    assert done.returncode == 2, done.stderr.decode()
    assert "Traceback" not in done.stderr.decode()
    return done.stderr.decode()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = launch(tmp_path, tmp_path / "data")
    yield running
    stop(running.process)


def machine(sfn: Any, definition: dict[str, Any]) -> str:
    return str(sfn.create_state_machine(name=f"m-{time.monotonic_ns()}", definition=json.dumps(definition),
                                        roleArn=ROLE_ARN)["stateMachineArn"])


def marking(seconds: float) -> dict[str, Any]:
    return {"StartAt": "Mark", "States": {"Mark": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:mark",
        "Parameters": {"marks.$": "$.marks", "seconds": seconds}, "End": True}}}


def calls(marks: Path) -> int:
    """How many calls of ``mark`` wrote their line to ``marks`` so far."""
    return len(marks.read_text().splitlines()) if marks.exists() else 0


def until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def finished(sfn: Any, arn: str) -> dict[str, Any]:
    until(lambda: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")
    return dict(sfn.describe_execution(executionArn=arn))


# -- one server per data directory ---------------------------------------------------------------

def test_a_second_server_on_the_same_directory_refuses_and_the_in_flight_task_runs_once(
        server: Server, tmp_path: Path) -> None:
    sfn, marks = server.sfn(), tmp_path / "marks.txt"
    arn = sfn.start_execution(stateMachineArn=machine(sfn, marking(3.0)),
                              input=json.dumps({"marks": str(marks)}))["executionArn"]
    until(lambda: calls(marks) == 1)  # the task is in flight
    message = refused(tmp_path, server.data_dir, free_port())
    assert "is in use by process" in message and str(server.data_dir) in message
    refused(tmp_path, server.data_dir, server.port)  # the lock comes first, even when the port is taken too
    assert finished(sfn, arn)["status"] == "SUCCEEDED"
    assert marks.read_text().splitlines() == ["called"]


def test_a_server_that_cannot_bind_its_port_recovers_nothing(tmp_path: Path) -> None:
    first, marks = launch(tmp_path, tmp_path / "data"), tmp_path / "marks.txt"
    sfn = first.sfn()
    arn = sfn.start_execution(stateMachineArn=machine(sfn, marking(60.0)),
                              input=json.dumps({"marks": str(marks)}))["executionArn"]
    until(lambda: calls(marks) == 1)  # its line written: the file exists a moment before
    first.process.kill()  # a crash: the dispatch stays open in the database
    first.process.wait()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        assert "Address already in use" in refused(tmp_path, first.data_dir, squatter.getsockname()[1])
    time.sleep(0.5)
    assert marks.read_text().splitlines() == ["called"]  # not re-dispatched by the server that refused
    second = launch(tmp_path, first.data_dir)
    try:
        until(lambda: calls(marks) == 2)  # recovery: at-least-once, as on AWS
        assert second.sfn().describe_execution(executionArn=arn)["status"] == "RUNNING"
    finally:
        stop(second.process)


# -- closing a task token: exactly one winner ----------------------------------------------------

def test_approval_links_racing_send_task_failure_have_exactly_one_winner_each(server: Server) -> None:
    sfn = server.sfn()
    activity = sfn.create_activity(name="approve")["activityArn"]
    definition = {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": activity, "End": True}}}
    target = machine(sfn, definition)
    executions = [sfn.start_execution(stateMachineArn=target)["executionArn"] for _ in range(30)]
    tokens = [sfn.get_activity_task(activityArn=activity, workerName="w")["taskToken"] for _ in executions]
    signer = Signer((server.data_dir / KEY_NAME).read_bytes(), server.url)
    link_won, api_won = [], []
    with httpx.Client() as http:
        for token in tokens:
            barrier = threading.Barrier(2)

            def approve(token: str = token, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                answer = http.post(f"{server.url}/approval/approve",
                                   data={"token": token, "sig": signer.signature("approve", token)})
                assert answer.status_code in (200, 410)
                link_won.append(answer.status_code == 200)

            def fail(token: str = token, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                try:
                    sfn.send_task_failure(taskToken=token, error="Denied")
                except ClientError as exc:
                    assert exc.response["Error"]["Code"] == "TaskTimedOut"
                    api_won.append(False)
                else:
                    api_won.append(True)

            racers = [threading.Thread(target=approve), threading.Thread(target=fail)]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join()
    assert [a + b for a, b in zip(link_won, api_won, strict=True)] == [1] * 30
    statuses = [finished(sfn, arn)["status"] for arn in executions]
    assert statuses.count("SUCCEEDED") == sum(link_won) and statuses.count("FAILED") == sum(api_won)


# -- long polls ----------------------------------------------------------------------------------

def test_a_long_poll_whose_client_has_gone_claims_nothing_and_the_next_poll_gets_the_task(server: Server) -> None:
    sfn = server.sfn()
    activity = sfn.create_activity(name="work")["activityArn"]
    target = machine(sfn, {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}})
    body = json.dumps({"activityArn": activity, "workerName": "gone"}).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as gone:
        gone.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
                     b"X-Amz-Target: AWSStepFunctions.GetActivityTask\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(0.5)  # the poll is waiting
    time.sleep(0.2)  # ...and its client has gone
    arn = sfn.start_execution(stateMachineArn=target, input='{"n": 1}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="here")
    assert json.loads(task["input"]) == {"n": 1}
    history = sfn.get_execution_history(executionArn=arn)["events"]
    workers = [e["activityStartedEventDetails"].get("workerName") for e in history if e["type"] == "ActivityStarted"]
    assert workers == ["here"]


# -- storage faults at start-up ------------------------------------------------------------------

def test_an_empty_approval_key_is_refused_not_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / KEY_NAME).write_bytes(b"")  # what a full disk left
    message = refused(tmp_path, data, free_port())
    assert f"{data / KEY_NAME} holds 0 bytes" in message
    assert (data / KEY_NAME).read_bytes() == b""


def test_a_damaged_database_is_refused_at_start_naming_the_file(server: Server, tmp_path: Path) -> None:
    sfn = server.sfn()
    for index in range(200):
        sfn.create_activity(name=f"a{index}", tags=[{"key": "k", "value": "v" * 200}])
    stop(server.process)
    database = server.data_dir / "stepforge.sqlite3"
    assert not database.with_name("stepforge.sqlite3-wal").exists(), "a stopped server leaves no WAL to hide pages"
    damaged = bytearray(database.read_bytes())
    damaged[4096 * 2:4096 * 6] = b"\xab" * (4096 * 4)
    database.write_bytes(bytes(damaged))
    message = refused(tmp_path, server.data_dir, free_port())
    assert f"the database {database} is damaged" in message
    check = subprocess.run([sys.executable, "-m", "stepforge.cli", "db", "check", "--data-dir", str(server.data_dir)],
                           check=False, capture_output=True, text=True, timeout=60)
    assert check.returncode in (1, 2) and "Traceback" not in check.stderr
    assert str(database) in check.stdout + check.stderr


def test_data_files_are_the_owners_only(server: Server) -> None:
    server.sfn().create_activity(name="a")
    assert server.data_dir.stat().st_mode & 0o777 == 0o700
    modes = {path.name: path.stat().st_mode & 0o777 for path in server.data_dir.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes


# -- a full disk -------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs (root only), with 3 MB of ballast a test can delete to free space: more than one
    step of an execution with a 200 KB payload writes (~1 MB: its input and output in four history
    events, in whole pages), so freeing it lets the batch that failed commit."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], check=False,
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        (mount / "ballast").write_bytes(b"\0" * 3 * 1024 * 1024)
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


def test_a_full_disk_answers_service_unavailable_without_spinning_and_recovers(
        small_disk: Path, tmp_path: Path) -> None:
    server = launch(tmp_path, small_disk / "data")
    try:
        sfn = server.sfn()
        target = machine(sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
        payload = json.dumps({"blob": "x" * 200_000})
        started, error = 0, None
        while error is None and started < 100:
            try:
                sfn.start_execution(stateMachineArn=target, input=payload)
                started += 1
            except ClientError as exc:
                error = exc.response
        assert error is not None and error["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert error["Error"]["Code"] == "ServiceUnavailable"
        before = cpu_seconds(server.process.pid)
        time.sleep(2.0)
        assert cpu_seconds(server.process.pid) - before < 0.5  # backing off, not spinning
        (small_disk / "ballast").unlink()
        time.sleep(4.0)  # a lease renewal commits meanwhile: a checkpoint after it must not take the freed space
        until(lambda: _started(sfn, target, payload))
        listed = sfn.list_executions(stateMachineArn=target, maxResults=1000)["executions"]
        assert len(listed) == started + 1  # each one written whole, or not at all
    finally:
        stop(server.process)
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log and log.count("\n") < 20
    check = subprocess.run([sys.executable, "-m", "stepforge.cli", "db", "check", "--data-dir", str(server.data_dir)],
                           check=False, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def _started(sfn: Any, target: str, payload: str) -> bool:
    try:
        sfn.start_execution(stateMachineArn=target, input=payload)
    except ClientError:
        return False
    return True
