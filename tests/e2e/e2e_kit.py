"""Helpers for e2e tests that start servers of their own (the session's server has fixtures in conftest)."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import IncompleteReadError


def finish(sfn: Any, arn: str, timeout: float = 20.0) -> dict[str, Any]:
    """DescribeExecution once the execution has ended (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.05)


def whole_answers(client: Any) -> Any:
    """``client`` (a boto3 client), made to refuse an answer cut short, for tests that kill servers.

    botocore reads a non-streaming body without checking it against its Content-Length (it turns
    urllib3's check off), so a server SIGKILLed between writing an answer's headers and its body
    gives a 200 that parses as an empty answer: StartExecution "succeeds" without an executionArn.
    This raises :class:`~botocore.exceptions.IncompleteReadError` (a ``BotoCoreError``, as a lost
    connection is) instead, so that the caller calls again.
    """
    client.meta.events.register("before-parse", _refuse_cut_answers)
    return client


def _refuse_cut_answers(response_dict: dict[str, Any], **_: Any) -> None:
    expected, body = response_dict["headers"].get("content-length"), response_dict["body"]
    if expected is not None and isinstance(body, bytes) and len(body) != int(expected):
        print(f"an answer cut short: {len(body)} of {expected} bytes, {response_dict['headers']}")
        raise IncompleteReadError(actual_bytes=len(body), expected_bytes=int(expected))
