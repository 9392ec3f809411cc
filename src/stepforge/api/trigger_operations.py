"""The operations of the other services on the API's route: EventBridge (``X-Amz-Target:
AWSEvents.<Name>``, what boto3's ``events`` client sends) and stepforge's webhooks
(``StepForgeWebhooks.<Name>``). Reads run in a worker thread, writes in the engine's batch, as the
Step Functions operations do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from stepforge.service import rules, webhooks
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import UnknownOperation

EVENTS_PREFIX = "AWSEvents."
WEBHOOKS_PREFIX = "StepForgeWebhooks."
#: What a SigV4 signature of each prefix's calls is scoped to.
SIGNING_SERVICES = {EVENTS_PREFIX: "events", WEBHOOKS_PREFIX: "states"}

READS: dict[str, Callable[[ServiceContext, Request], Any]] = {
    "AWSEvents.DescribeRule": rules.describe_rule,
    "AWSEvents.ListRules": rules.list_rules,
    "AWSEvents.ListTargetsByRule": rules.list_targets,
    "AWSEvents.TestEventPattern": rules.test_event_pattern,
    "StepForgeWebhooks.GetWebhook": webhooks.get,
    "StepForgeWebhooks.ListWebhooks": webhooks.list_,
}
WRITES: dict[str, Callable[[WriteContext, Request], Any]] = {
    "AWSEvents.PutRule": rules.put_rule,
    "AWSEvents.DeleteRule": rules.delete_rule,
    "AWSEvents.EnableRule": rules.enable_rule,
    "AWSEvents.DisableRule": rules.disable_rule,
    "AWSEvents.PutTargets": rules.put_targets,
    "AWSEvents.RemoveTargets": rules.remove_targets,
    "AWSEvents.PutEvents": rules.put_events,
    "StepForgeWebhooks.PutWebhook": webhooks.put,
    "StepForgeWebhooks.DeleteWebhook": webhooks.delete,
}
#: Scheduler's operations by method and path (a trailing ``/``: followed by a name).
SCHEDULER_OPERATIONS = {
    ("POST", "/schedules/"): "CreateSchedule", ("GET", "/schedules/"): "GetSchedule",
    ("PUT", "/schedules/"): "UpdateSchedule", ("DELETE", "/schedules/"): "DeleteSchedule",
    ("GET", "/schedules"): "ListSchedules", ("POST", "/schedule-groups/"): "CreateScheduleGroup",
    ("GET", "/schedule-groups/"): "GetScheduleGroup", ("DELETE", "/schedule-groups/"): "DeleteScheduleGroup",
    ("GET", "/schedule-groups"): "ListScheduleGroups",
}
SCHEDULER_READS = frozenset({"GetSchedule", "ListSchedules", "GetScheduleGroup", "ListScheduleGroups"})
#: Every operation, by its name without the prefix (for [auth.permissions]).
OPERATIONS = frozenset({*(target.split(".", 1)[1] for target in (*READS, *WRITES)), *SCHEDULER_OPERATIONS.values()})
#: The operations a ``read-only`` key may call.
READ_NAMES = frozenset({*(target.split(".", 1)[1] for target in READS), *SCHEDULER_READS})


@dataclass(frozen=True)
class TriggerCall:
    """One call of these operations: its full target."""

    target: str


def find(target: str) -> TriggerCall | None:
    """The call ``target`` names if it belongs to these services (an unknown operation of theirs
    raises UnknownOperationException); None for any other target."""
    if not target.startswith(tuple(SIGNING_SERVICES)):
        return None
    if target not in READS and target not in WRITES:
        raise UnknownOperation(f"Unknown operation {target!r}")
    return TriggerCall(target)


def signing_service(target: str) -> str | None:
    """The SigV4 service a call with this target must be signed for (None: not one of these)."""
    for prefix, service in SIGNING_SERVICES.items():
        if target.startswith(prefix):
            return service
    return None


async def call(ctx: ServiceContext, found: TriggerCall, request: Request) -> Any:
    """Run the call: a read in a worker thread, a write in the engine's batch."""
    reader = READS.get(found.target)
    if reader is not None:
        return await run_in_threadpool(reader, ctx, request)
    writer = WRITES[found.target]
    return await ctx.engine.write(lambda tx: writer(ctx.within(tx), request))


def scheduler_operation(method: str, path: str) -> str | None:
    """The Scheduler operation a request calls (None if the path is not Scheduler's)."""
    for base in ("/schedules", "/schedule-groups"):
        if path == base:
            return SCHEDULER_OPERATIONS.get((method, base))
        if path.startswith(base + "/"):
            return SCHEDULER_OPERATIONS.get((method, base + "/"))
    return None
