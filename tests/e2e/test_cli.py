"""Command lines: the AWS CLI against ``stepforge serve``, and ``stepforge run``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

MACHINES = Path(__file__).parent / "machines"
BIN = Path(sys.executable).parent
CLI_TIMEOUT = 60.0


def aws(env: dict[str, str], *args: str, endpoint: str | None = None) -> Any:
    """Run ``aws stepfunctions ARGS`` and decode its JSON output (an empty output is None)."""
    command = [str(BIN / "aws"), "stepfunctions", *args, "--output", "json"]
    if endpoint is not None:
        command += ["--endpoint-url", endpoint]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)
    assert done.returncode == 0, f"{' '.join(args)} failed ({done.returncode}): {done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else None


def stepforge_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "stepforge"), "run", *args], capture_output=True, text=True, check=False,
                          timeout=CLI_TIMEOUT, env=env)


# -- the AWS CLI -----------------------------------------------------------------------------------


def test_the_aws_cli_runs_a_machine_from_a_definition_file(
        aws_env: dict[str, str], endpoint: str, role_arn: str, unique_name: Callable[[str], str]) -> None:
    name = unique_name("cli")
    created = aws(aws_env, "create-state-machine", "--name", name, "--role-arn", role_arn,
                  "--definition", f"file://{MACHINES / 'hello.asl.json'}", endpoint=endpoint)
    machine = created["stateMachineArn"]
    assert machine == f"arn:aws:states:us-east-1:000000000000:stateMachine:{name}"

    started = aws(aws_env, "start-execution", "--state-machine-arn", machine, "--name", "from-cli",
                  "--input", '{"who": "CLI"}', endpoint=endpoint)
    execution = started["executionArn"]
    deadline = time.monotonic() + 30
    while (described := aws(aws_env, "describe-execution", "--execution-arn", execution,
                            endpoint=endpoint))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not finish"
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"greeting": "Hello, CLI!"}

    events = aws(aws_env, "get-execution-history", "--execution-arn", execution, endpoint=endpoint)["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                           "ExecutionSucceeded"]


def test_the_aws_cli_finds_the_server_through_aws_endpoint_url_sfn(
        aws_env: dict[str, str], endpoint: str, sfn: Any, create_machine: Callable[..., str]) -> None:
    machine = create_machine((MACHINES / "hello.asl.json").read_text())
    described = aws({**aws_env, "AWS_ENDPOINT_URL_SFN": endpoint}, "describe-state-machine",
                    "--state-machine-arn", machine)
    assert described["stateMachineArn"] == machine
    assert json.loads(described["definition"]) == json.loads((MACHINES / "hello.asl.json").read_text())


def test_the_aws_cli_reports_an_invalid_definition_with_its_location(
        aws_env: dict[str, str], endpoint: str, role_arn: str, unique_name: Callable[[str], str]) -> None:
    command = [str(BIN / "aws"), "stepfunctions", "create-state-machine", "--endpoint-url", endpoint,
               "--name", unique_name("broken"), "--role-arn", role_arn,
               "--definition", f"file://{MACHINES / 'broken.asl.json'}"]
    done = subprocess.run(command, env=aws_env, capture_output=True, text=True, timeout=CLI_TIMEOUT, check=False)
    assert done.returncode != 0
    assert "InvalidDefinition" in done.stderr and "/States/First/Next" in done.stderr


# -- stepforge run ---------------------------------------------------------------------------------


def test_stepforge_run_prints_the_output_json() -> None:
    done = stepforge_run(str(MACHINES / "hello.asl.json"), "--input", '{"who": "Ada"}')
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"greeting": "Hello, Ada!"}


def test_stepforge_run_reads_its_input_from_a_file_given_with_an_at_sign(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text('{"who": "file"}')
    done = stepforge_run(str(MACHINES / "hello.asl.json"), "--input", f"@{tmp_path / 'in.json'}")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"greeting": "Hello, file!"}


def test_stepforge_run_with_history_prints_the_events_to_stderr() -> None:
    wide = {**os.environ, "COLUMNS": "200"}
    done = stepforge_run(str(MACHINES / "hello.asl.json"), "--input", '{"who": "Ada"}', "--history", env=wide)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"greeting": "Hello, Ada!"}  # the history stays off stdout
    positions = [done.stderr.find(kind) for kind in
                 ("ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded")]
    assert -1 not in positions and positions == sorted(positions), done.stderr


def test_stepforge_run_exits_1_with_the_error_and_cause_of_a_failed_execution() -> None:
    done = stepforge_run(str(MACHINES / "fail.asl.json"))
    assert done.returncode == 1
    assert done.stdout == ""
    assert "FAILED" in done.stderr and "Refused" in done.stderr and "nobody is allowed in" in done.stderr


@pytest.mark.parametrize("machine, given, expected", [
    ("broken.asl.json", "{}", "/States/First/Next"),
    ("hello.asl.json", "{not json", "InvalidExecutionInput"),
    ("does-not-exist.asl.json", "{}", "does-not-exist.asl.json"),
], ids=["invalid-definition", "non-json-input", "missing-file"])
def test_stepforge_run_exits_2_when_it_cannot_start(machine: str, given: str, expected: str) -> None:
    done = stepforge_run(str(MACHINES / machine), "--input", given)
    assert done.returncode == 2
    assert expected in done.stderr
