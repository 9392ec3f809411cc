"""Helpers for e2e tests that start servers of their own (the session's server has fixtures in conftest)."""

from __future__ import annotations

import time
from typing import Any


def finish(sfn: Any, arn: str, timeout: float = 20.0) -> dict[str, Any]:
    """DescribeExecution once the execution has ended (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.05)
