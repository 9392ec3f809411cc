"""A real ``stepforge serve --config`` with ``[auth.keys]``: boto3 and the AWS CLI with the right
credentials work; wrong credentials, unsigned requests and a rebinding Host are refused; an open
non-loopback ``--host`` is refused at start."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import FINAL_STATUSES, ROLE_ARN, configured_server
from tests.server_kit import free_port

KEY, SECRET = "AKIDE2E", "e2e-secret/with+symbols"
READER, READER_SECRET = "AKIDE2EREADER", "reader-secret"
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})
CONFIG = f"""
[auth.keys]
{KEY} = "{SECRET}"
{READER} = "{READER_SECRET}"

[auth.permissions]
{READER} = "read-only"
"""


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The endpoint of a server that requires SigV4 with the keys of CONFIG."""
    with configured_server(tmp_path_factory.mktemp("secured"), CONFIG, "secured server") as endpoint:
        yield endpoint


def client(endpoint: str, key: str = KEY, secret: str = SECRET) -> Any:
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name="eu-central-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def error_code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**params)
    return str(raised.value.response["Error"]["Code"])


def test_boto3_with_the_right_credentials_runs_an_execution(secured: str) -> None:
    sfn = client(secured)
    arn = sfn.create_state_machine(name="auth-e2e", definition=PASS, roleArn=ROLE_ARN)["stateMachineArn"]
    assert arn.startswith("arn:aws:states:eu-central-1:")
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    deadline = time.monotonic() + 10
    while (described := sfn.describe_execution(executionArn=execution))["status"] not in FINAL_STATUSES:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert json.loads(described["output"]) == {"ok": True}


def test_boto3_with_wrong_credentials_is_refused(secured: str) -> None:
    assert error_code(client(secured, secret="wrong").list_state_machines) == "InvalidSignatureException"
    assert error_code(client(secured, key="AKIDNOBODY").list_state_machines) == "UnrecognizedClientException"


def test_a_read_only_key_cannot_write(secured: str) -> None:
    reader = client(secured, READER, READER_SECRET)
    reader.list_state_machines()
    assert error_code(reader.create_activity, name="nope") == "AccessDeniedException"


def test_unsigned_requests_and_a_rebinding_host_are_refused(secured: str) -> None:
    connection = http.client.HTTPConnection(secured.removeprefix("http://"), timeout=10)
    connection.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "AWSStepFunctions.ListStateMachines"})
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())["message"]) == (403, "Missing Authentication Token")
    connection.request("GET", "/console/api/tasks")
    response = connection.getresponse()
    assert response.status == 403 and b"MissingAuthenticationToken" in response.read()
    connection.request("GET", "/console", headers={"Host": "rebound.attacker.example"})
    response = connection.getresponse()
    assert response.status == 403 and b"is not served here" in response.read()
    connection.close()


def _cli(endpoint: str, key: str, secret: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-west-2")
    command = [str(Path(sys.executable).parent / "aws"), "stepfunctions", *args, "--output", "json",
               "--endpoint-url", endpoint]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_the_aws_cli_with_credentials_in_its_environment(secured: str) -> None:
    done = _cli(secured, KEY, SECRET, "create-activity", "--name", "auth-cli")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["activityArn"].startswith("arn:aws:states:us-west-2:")
    refused = _cli(secured, KEY, "wrong", "list-activities")
    assert refused.returncode != 0 and "InvalidSignatureException" in refused.stderr


def test_serve_refuses_an_open_non_loopback_host(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "stepforge.cli", "serve", "--host", "0.0.0.0", "--port",
                           str(free_port()), "--data-dir", str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert "refusing to serve --host 0.0.0.0 without authentication" in done.stderr
    assert "--no-auth" in done.stderr and not (tmp_path / "data").exists()
