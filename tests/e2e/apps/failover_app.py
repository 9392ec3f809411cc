"""Python functions of the failover test (``tests/e2e/test_failover.py``), served by every node with ``--functions``."""

from __future__ import annotations

import time
from typing import Any


class Busy(Exception):
    """Not yet: the state's Retry waits (a back-off timer) and calls again."""


def double(event: Any, context: Any) -> Any:
    """Slow enough that some calls are in flight when a node is killed (they run again elsewhere)."""
    time.sleep(0.3)
    return {"doubled": 2 * event["v"]}


def flaky(event: Any, context: Any) -> Any:
    """Fails while the state's retry count (passed in) is below 2, the same on every node."""
    if event["retry"] < 2:
        raise Busy(f"attempt {event['retry']}")
    return {"v": event["v"], "tries": event["retry"]}


def slow_once(event: Any, context: Any) -> Any:
    """Notes each call in the file ``event["marks"]``; the first call then sleeps for a minute (it is in
    flight when its node is killed), the next ones answer at once."""
    with open(event["marks"], "a+") as marks:
        marks.seek(0)
        first = not marks.read()
        marks.write("called\n")
    if first:
        time.sleep(60)
    return {"done": True}
