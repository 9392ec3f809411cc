"""A human approval: approved, rejected, or nobody answers within a day — and, against a real server,
the approver follows the link from the mail."""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import boto3
import httpx
import pytest

from stepforge.pytest_plugin import Machine

T = TypeVar("T")
REQUEST = {"id": "r-1", "what": "a refund of 40 EUR", "approver": "ana@example.com"}
HERE = Path(__file__).parent


def test_an_approved_request_is_carried_out(approval: Machine) -> None:
    run = approval.start(REQUEST).until("AskApprover")
    token, sent = run.task("AskApprover")
    assert sent["Payload"]["request"] == REQUEST and token
    run.succeed("AskApprover", {"Status": "Approved", "Approved": True, "Comment": "fine"}).finish()
    assert run.status == "SUCCEEDED"
    assert run.output == {"id": "r-1", "done": "a refund of 40 EUR", "comment": "fine"}


def test_a_rejected_request_fails_with_the_approvers_reason(approval: Machine) -> None:
    run = approval.start(REQUEST).until("AskApprover")
    run.fail("AskApprover", "Rejected", "too much").finish()
    assert (run.status, run.error, run.cause) == ("FAILED", "Rejected", "too much")


def test_a_request_nobody_answers_expires_after_a_day(approval: Machine) -> None:
    run = approval.run(REQUEST)
    assert (run.status, run.error) == ("FAILED", "Expired")
    assert run.caught == [("AskApprover", "States.Timeout")] and run.seconds == 86400


def test_the_approver_follows_the_link_in_the_mail(tmp_path: Path) -> None:
    """End to end: stepforge serve with these functions, the mail in an outbox folder, the link opened."""
    port = _free_port()
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    config = tmp_path / "stepforge.toml"
    config.write_text(f'[approval]\nbase_url = "http://127.0.0.1:{port}"\n')
    env = {**os.environ, "OUTBOX": str(outbox), "PYTHONPATH": str(HERE)}
    server = subprocess.Popen([sys.executable, "-m", "stepforge.cli", "serve", "--port", str(port), "--data-dir",
                               str(tmp_path / "data"), "--functions", "approval_functions", "--config", str(config)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="example", aws_secret_access_key="example")
        _until(lambda: _answers(sfn))
        machine = sfn.create_state_machine(name="approval", definition=(HERE / "human_approval.asl.json").read_text(),
                                           roleArn="arn:aws:iam::000000000000:role/example")["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(REQUEST))["executionArn"]
        mail = json.loads(_until(lambda: _read(outbox / "r-1.json")))
        link = mail["links"]["approve"]
        page = httpx.get(link)  # a confirmation page: following the link alone decides nothing
        assert page.status_code == 200 and "Approve this request?" in page.text
        fields = dict(re.findall(r'name="(token|sig)" value="([^"]*)"', page.text))
        form = {**{k: html.unescape(v) for k, v in fields.items()}, "comment": "go ahead"}
        decided = httpx.post(link, data=form, headers={"Origin": f"http://127.0.0.1:{port}"})
        assert decided.status_code == 200 and "Your decision was recorded." in decided.text
        ended = _until(lambda: _ended(sfn, execution))
        assert ended["status"] == "SUCCEEDED"
        assert json.loads(ended["output"])["comment"] == "go ahead"
    finally:
        server.terminate()
        server.wait(timeout=20)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(find: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail("timed out")


def _answers(sfn: Any) -> bool:
    try:
        sfn.list_state_machines()
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return True


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def _ended(sfn: Any, arn: str) -> dict[str, Any] | None:
    described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
    return described if described["status"] != "RUNNING" else None
