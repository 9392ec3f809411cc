"""What a Task's ``Resource`` names: a Lambda function, an activity, or a service integration.

Parsing only — no registry or store lookups — so the interpreter's history events, the
dispatcher's routing and crash recovery all read a resource the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: Integration patterns, as the suffix of an optimized integration's action.
WAIT_FOR_TOKEN = "waitForTaskToken"
SYNC = "sync"
SYNC2 = "sync:2"

_FUNCTION_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:(?P<name>[A-Za-z0-9_-]+)"
    r"(?::(?P<qualifier>[A-Za-z0-9$_-]+))?\Z"
)
_PARTIAL_FUNCTION = re.compile(r"(?:(?P<account>\d{12}):function:)?(?P<name>[A-Za-z0-9_-]+)"
                               r"(?::(?P<qualifier>[A-Za-z0-9$_-]+))?\Z")
_ACTIVITY = re.compile(r"arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:activity:.+\Z")
_INTEGRATION = re.compile(r"arn:aws[a-z-]*:states:[a-z0-9-]*:(?:\d{12})?:(?P<rest>.+)\Z")


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed resource. ``kind`` names its history events: "lambda", "activity" or "task"."""

    kind: str
    service: str = ""       # "lambda", "http", "states", "aws-sdk:dynamodb", "sqs", ...
    action: str = ""        # "invoke", "startExecution", "getItem", ... (without the pattern)
    pattern: str = ""       # "", "sync", "sync:2", "waitForTaskToken"
    function: str = ""      # for a Lambda function ARN: its name
    qualifier: str | None = None

    @property
    def waits_for_token(self) -> bool:
        return self.pattern == WAIT_FOR_TOKEN


@lru_cache(maxsize=4096)
def parse(resource: str) -> Target | None:
    """The target of a Task resource, or None when it is no ARN stepforge knows how to read (cached:
    targets are immutable, and each task attempt reads its resource several times)."""
    if _ACTIVITY.match(resource):
        return Target("activity")
    function = _FUNCTION_ARN.match(resource)
    if function:
        return Target("lambda", "lambda", "invoke", function=function["name"], qualifier=function["qualifier"])
    integration = _INTEGRATION.match(resource)
    if integration is None or ":" not in integration["rest"]:
        return None
    rest = integration["rest"]
    pattern = ""
    for suffix in (SYNC2, SYNC, WAIT_FOR_TOKEN):
        if rest.endswith("." + suffix):
            rest, pattern = rest[: -len(suffix) - 1], suffix
            break
    service, _, action = rest.rpartition(":")
    return Target("task", service, action, pattern)


def function_name(text: str) -> tuple[str, str | None] | None:
    """A Lambda ``FunctionName`` (name, ``name:alias``, partial or full ARN) as (name, qualifier)."""
    match = _FUNCTION_ARN.match(text) or _PARTIAL_FUNCTION.match(text)
    if match is None:
        return None
    return match["name"], match["qualifier"]


def function_arn(name: str, qualifier: str | None = None, region: str = "us-east-1",
                 account: str = "000000000000") -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn
