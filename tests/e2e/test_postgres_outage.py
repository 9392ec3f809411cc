"""A PostgreSQL server that goes away and comes back, under a running ``stepforge serve --db``.

Meanwhile every call is answered with AWS's ServiceUnavailable (503, its JSON error shape, never a
500 or a traceback); once the database is back the server answers again and the executions in
flight finish, without a restart of stepforge.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from postgres_kit import Cluster

from tests.e2e.conftest import ROLE_ARN, _client
from tests.server_kit import STARTUP_SECONDS, accepts_connections, free_port, stop

WAIT = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
                                     "Done": {"Type": "Pass", "Result": "rested", "End": True}}}


@pytest.fixture
def cluster(postgres_bin_dir: Path) -> Iterator[Cluster]:
    """A cluster of this test's own (the session's serves other tests)."""
    own = Cluster(postgres_bin_dir)
    yield own
    own.stop()


@pytest.fixture
def server(cluster: Cluster, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port),
                                "--data-dir", str(tmp_path), "--db", cluster.url()],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not accepts_connections(port):
        assert process.poll() is None and time.monotonic() < deadline, "stepforge serve --db did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    stop(process)
    assert process.returncode == 0


def raw_call(url: str, operation: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url + "/", data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSStepFunctions.{operation}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_calls_get_service_unavailable_while_the_database_is_away_and_work_resumes(
        cluster: Cluster, server: str) -> None:
    sfn = _client(server, "us-east-1")
    machine = sfn.create_state_machine(name="outage", definition=json.dumps(WAIT), roleArn=ROLE_ARN)
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")

    cluster.pause()
    for operation, body in (("ListStateMachines", {}),
                            ("StartExecution", {"stateMachineArn": machine["stateMachineArn"], "input": "{}"})):
        status, answer = raw_call(server, operation, body)
        assert (status, answer["__type"].split("#")[-1]) == (503, "ServiceUnavailable"), (operation, answer)
        assert "Traceback" not in answer.get("message", "")
    with pytest.raises(ClientError) as refused:
        sfn.describe_execution(executionArn=started["executionArn"])
    assert refused.value.response["Error"]["Code"] == "ServiceUnavailable"

    cluster.resume()
    deadline = time.monotonic() + 60
    while (described := _describe(sfn, started["executionArn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not resume after the database came back"
        time.sleep(0.1)
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", "rested")
    assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]] == ["outage"]


def _describe(sfn: Any, arn: str) -> dict[str, Any]:
    try:
        answer: dict[str, Any] = sfn.describe_execution(executionArn=arn)
    except ClientError as exc:  # the pool may still be reconnecting
        assert exc.response["Error"]["Code"] == "ServiceUnavailable"
        return {"status": "RUNNING"}
    return answer
