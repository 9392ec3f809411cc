"""AWS's API throttling: one token bucket per operation and region, refused as AWS refuses.

AWS throttles Step Functions API actions "using a token bucket scheme", per account and Region
("Step Functions service quotas", *Quotas related to API action throttling*). A bucket holds at
most ``bucket`` tokens, starts full and gains ``refill`` tokens a second; each call takes one, and
a call that finds less than one token is refused with HTTP 400 and AWS's body
``{"__type": "com.amazon.coral.availability#ThrottlingException", "message": "Rate exceeded"}``,
which botocore's retry modes (legacy, standard, adaptive) retry with back-off.

One server is one account, so buckets are per region (the verified one when keys are configured).
Operations AWS does not throttle this way (StartSyncExecution scales on demand) have no bucket
unless the configuration gives them one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from stepforge.api import envelope
from stepforge.api.throttle_config import Quota, ThrottleConfig
from stepforge.service.errors import ApiError

THROTTLING = "ThrottlingException"
NAMESPACE = "com.amazon.coral.availability"
ERROR_TYPE = f"{NAMESPACE}#{THROTTLING}"
MESSAGE = "Rate exceeded"
#: AWS's larger default quotas apply in these regions; every other region gets :data:`OTHER_REGIONS`.
LARGE_REGIONS = frozenset({"us-east-1", "us-west-2", "eu-west-1"})
#: Regions that get a bucket of their own; calls naming further (unverified) regions share one set of buckets,
#: so garbage region names cannot grow memory without bound.
MAX_REGIONS = 64
_SHARED = "*"


def _quotas(table: dict[str, tuple[float, float]]) -> dict[str, Quota]:
    return {name: Quota(bucket, refill) for name, (bucket, refill) in table.items()}


_COMMON = {
    "CreateActivity": (100, 1), "CreateStateMachine": (100, 1), "CreateStateMachineAlias": (100, 1),
    "DeleteActivity": (100, 1), "DeleteStateMachine": (100, 1), "DeleteStateMachineAlias": (100, 1),
    "DeleteStateMachineVersion": (100, 1), "DescribeActivity": (200, 1), "DescribeMapRun": (200, 1),
    "DescribeStateMachine": (200, 20), "DescribeStateMachineAlias": (200, 1),
    "DescribeStateMachineForExecution": (200, 1), "GetExecutionHistory": (400, 20), "ListMapRuns": (100, 1),
    "ListStateMachineAliases": (100, 1), "ListStateMachines": (100, 5), "ListStateMachineVersions": (100, 1),
    "ListTagsForResource": (100, 1), "PublishStateMachineVersion": (100, 1), "TagResource": (200, 1),
    "TestState": (50, 10), "UntagResource": (200, 1), "UpdateMapRun": (100, 1), "UpdateStateMachine": (100, 1),
    "UpdateStateMachineAlias": (100, 1), "ValidateStateMachineDefinition": (100, 1),
}
#: AWS's default quotas (bucket size, refill per second) in US East (N. Virginia), US West (Oregon), Europe (Ireland).
AWS_QUOTAS: dict[str, Quota] = _quotas({
    **_COMMON, "DescribeExecution": (300, 15), "GetActivityTask": (3000, 500), "ListActivities": (100, 10),
    "ListExecutions": (200, 5), "RedriveExecution": (1300, 300), "SendTaskFailure": (3000, 500),
    "SendTaskHeartbeat": (3000, 500), "SendTaskSuccess": (3000, 500), "StartExecution": (1300, 300),
    "StopExecution": (1000, 200),
})
#: AWS's default quotas in all other regions.
OTHER_REGIONS: dict[str, Quota] = _quotas({
    **_COMMON, "DescribeExecution": (250, 10), "GetActivityTask": (1500, 300), "ListActivities": (100, 5),
    "ListExecutions": (100, 2), "RedriveExecution": (800, 150), "SendTaskFailure": (1500, 300),
    "SendTaskHeartbeat": (1500, 300), "SendTaskSuccess": (1500, 300), "StartExecution": (800, 150),
    "StopExecution": (500, 25),
})


class TokenBucket:
    """A bucket of at most ``quota.bucket`` tokens, full at first, gaining ``quota.refill`` a second."""

    def __init__(self, quota: Quota, now: float) -> None:
        self.quota, self.tokens, self.updated = quota, quota.bucket, now

    def take(self, now: float) -> bool:
        """Take one token at time ``now`` (seconds, monotonic); False, taking nothing, when less than one is left."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.quota.bucket, self.tokens + elapsed * self.quota.refill)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Throttle:
    """The buckets of one deployment: :meth:`admit` says whether a call may run now (thread-safe)."""

    def __init__(self, config: ThrottleConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config, self.clock = config, clock
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._regions: set[str] = set()
        self._lock = threading.Lock()

    def quota(self, operation: str, region: str) -> Quota | None:
        """The configured quota of ``operation`` in ``region``, else AWS's default; None: never throttled."""
        defaults = AWS_QUOTAS if region in LARGE_REGIONS else OTHER_REGIONS
        return self.config.operations.get(operation) or defaults.get(operation)

    def admit(self, operation: str, region: str) -> bool:
        """Whether a call of ``operation`` in ``region`` may run now (taking its token); always when disabled."""
        if not self.config.enabled:
            return True
        quota = self.quota(operation, region)
        if quota is None:
            return True
        with self._lock:
            if region not in self._regions:
                if len(self._regions) >= MAX_REGIONS:
                    region = _SHARED
                self._regions.add(region)
            now = self.clock()
            bucket = self._buckets.get((region, operation))
            if bucket is None:
                bucket = self._buckets[(region, operation)] = TokenBucket(quota, now)
            return bucket.take(now)


class Throttled(ApiError):
    """A call over its rate (AWS's front end answers it, hence its own ``__type`` namespace)."""

    code, status = THROTTLING, 400


def throttled() -> envelope.Answer:
    """AWS's answer to a call over its rate: 400, ThrottlingException, "Rate exceeded"."""
    return envelope.error(Throttled(MESSAGE), NAMESPACE)
