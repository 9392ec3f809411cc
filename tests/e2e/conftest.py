"""A real ``stepforge serve`` process per test session (per xdist worker) and backend (SQLite, and
PostgreSQL with ``--db``: every test that uses it runs on both), and boto3 clients for it."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from backends import BACKENDS
from botocore.config import Config

from tests.server_kit import serve

ROLE_ARN = "arn:aws:iam::000000000000:role/stepforge-e2e"
REGION = "us-east-1"
POLL_INTERVAL = 0.05
FINAL_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
# Credentials for subprocesses (the AWS CLI) and boto3; stepforge reads only the region from them.
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


@contextmanager
def configured_server(workdir: Path, config: str, what: str = "server", *, args: tuple[str, ...] = (),
                      scheme: str = "http") -> Iterator[str]:
    """The URL of a ``stepforge serve --config`` subprocess with ``config`` as its TOML (and ``args``), for a block."""
    (workdir / "config.toml").write_text(config)
    with serve(["--data-dir", str(workdir / "data"), "--config", str(workdir / "config.toml"), *args],
               log=workdir / "stderr.log", what=what) as port:
        yield f"{scheme}://127.0.0.1:{port}"


def store_arguments(request: pytest.FixtureRequest, backend: str, workdir: Path, name: str) -> list[str]:
    """``serve``'s arguments that pick its store: ``--data-dir`` (SQLite), plus ``--db`` with a new
    database ``name`` in the session's PostgreSQL cluster for the postgresql backend."""
    arguments = ["--data-dir", str(workdir / "data")]
    if backend == "postgresql":
        arguments += ["--db", request.getfixturevalue("postgres_cluster").create_database(name)]
    return arguments


@pytest.fixture(scope="session", params=BACKENDS)
def endpoint(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a ``stepforge serve`` subprocess on one backend, up for the whole session."""
    workdir = tmp_path_factory.mktemp("server")
    arguments = ["--host", "127.0.0.1", *store_arguments(request, request.param, workdir, "e2e")]
    with serve(arguments, log=workdir / "stderr.log") as port:
        yield f"http://127.0.0.1:{port}"


def _client(endpoint: str, region: str) -> Any:
    return boto3.client(
        "stepfunctions", endpoint_url=endpoint, region_name=region,
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, read_timeout=70, connect_timeout=5),
    )


@pytest.fixture(scope="session")
def sfn(endpoint: str) -> Any:
    """A boto3 Step Functions client talking to the session's server."""
    return _client(endpoint, REGION)


@pytest.fixture(scope="session")
def make_client(endpoint: str) -> Callable[[str], Any]:
    """``make_client(region)`` -> a boto3 Step Functions client signing for ``region``."""
    return lambda region: _client(endpoint, region)


@pytest.fixture(scope="session")
def role_arn() -> str:
    return ROLE_ARN


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """``unique_name("prefix")`` -> a name no other test (or xdist worker) uses."""

    def make(prefix: str = "") -> str:
        base = prefix or request.node.originalname.replace("test_", "", 1)  # no "[backend]" in names
        return f"{base[:40]}-{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def create_machine(sfn: Any, role_arn: str, unique_name: Callable[[str], str]) -> Callable[..., str]:
    """``create_machine(definition_text)`` -> the new state machine's ARN."""

    def create(text: str, name: str | None = None) -> str:
        response = sfn.create_state_machine(name=name or unique_name(""), definition=text, roleArn=role_arn)
        return str(response["stateMachineArn"])

    return create


@pytest.fixture
def wait_for_execution(sfn: Any) -> Callable[..., dict[str, Any]]:
    """``wait_for_execution(arn, timeout=10)`` -> describe_execution once the execution has ended."""

    def wait(arn: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
            if described["status"] in FINAL_STATUSES:
                return described
            if time.monotonic() > deadline:
                pytest.fail(f"execution {arn} still {described['status']} after {timeout} s")
            time.sleep(POLL_INTERVAL)

    return wait


@pytest.fixture
def run_machine(sfn: Any, create_machine: Callable[..., str],
                wait_for_execution: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """``run_machine(definition_text, input)`` -> the final describe_execution of a fresh execution."""

    def run(text: str, payload: Any = None, timeout: float = 10.0) -> dict[str, Any]:
        machine_arn = create_machine(text)
        started = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps(payload or {}))
        return wait_for_execution(started["executionArn"], timeout)

    return run


@pytest.fixture
def execution_history(sfn: Any) -> Callable[[str], list[dict[str, Any]]]:
    """``execution_history(arn)`` -> every event of an execution, oldest first, across pages."""
    return lambda arn: _history(sfn, arn)


def _history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if "nextToken" not in page:
            return events
        kwargs["nextToken"] = page["nextToken"]


@pytest.fixture(scope="session")
def wait_until() -> Callable[..., Any]:
    """``wait_until(condition, timeout=10, what=...)`` -> the first truthy value ``condition`` returns."""
    return _wait_until


def _wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_INTERVAL)


@pytest.fixture(scope="session")
def aws_env(endpoint: str) -> dict[str, str]:
    """Environment for subprocesses that talk to the server (the AWS CLI)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, **AWS_ENV}
