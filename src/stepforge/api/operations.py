"""The operation table: ``X-Amz-Target: AWSStepFunctions.<Name>`` -> the service function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepforge.service import (
    activities,
    aliases,
    definitions,
    executions,
    maprun,
    redrive,
    statemachines,
    tags,
    teststate,
    versions,
)
from stepforge.service.context import Request, ServiceContext, WriteContext

Handler = Callable[[ServiceContext, Request], Any]
WriteHandler = Callable[[WriteContext, Request], Any]

TARGET_PREFIX = "AWSStepFunctions."

#: Operations that only read: served in a worker thread, with the store.
READ_OPERATIONS: dict[str, Handler] = {
    "DescribeStateMachine": statemachines.describe,
    "ListStateMachines": statemachines.list_,
    "ValidateStateMachineDefinition": statemachines.validate,
    "ListStateMachineVersions": versions.list_versions,
    "DescribeStateMachineAlias": aliases.describe,
    "ListStateMachineAliases": aliases.list_,
    "DescribeExecution": executions.describe,
    "DescribeStateMachineForExecution": executions.describe_state_machine,
    "ListExecutions": executions.list_,
    "GetExecutionHistory": executions.history,
    "ListMapRuns": maprun.list_,
    "DescribeMapRun": maprun.describe,
    "TestState": teststate.test_state,
    "ListTagsForResource": tags.list_,
    "DescribeActivity": activities.describe,
    "ListActivities": activities.list_,
}

#: Operations that write: each runs in the engine's batch, with its unit of work (``ctx.within(tx)``).
WRITE_OPERATIONS: dict[str, WriteHandler] = {
    "CreateStateMachine": statemachines.create,
    "UpdateStateMachine": statemachines.update,
    "DeleteStateMachine": statemachines.delete,
    "PublishStateMachineVersion": versions.publish_version,
    "DeleteStateMachineVersion": versions.delete_version,
    "CreateStateMachineAlias": aliases.create,
    "UpdateStateMachineAlias": aliases.update,
    "DeleteStateMachineAlias": aliases.delete,
    "StartExecution": executions.start,
    "StopExecution": executions.stop,
    "RedriveExecution": redrive.redrive_execution,
    "UpdateMapRun": maprun.update,
    "TagResource": tags.tag,
    "UntagResource": tags.untag,
    "CreateActivity": activities.create,
    "DeleteActivity": activities.delete,
    "SendTaskSuccess": activities.send_success,
    "SendTaskFailure": activities.send_failure,
    "SendTaskHeartbeat": activities.send_heartbeat,
}

#: Writes that change what a Start*Execution resolves (``engine.machines`` is cleared after each).
MACHINE_WRITES = frozenset({
    "CreateStateMachine", "UpdateStateMachine", "DeleteStateMachine", "PublishStateMachineVersion",
    "DeleteStateMachineVersion", "CreateStateMachineAlias", "UpdateStateMachineAlias", "DeleteStateMachineAlias",
})

#: CPU work a write does before it is queued for the engine's batch (run in a worker thread).
PRECHECKS: dict[str, Callable[[ServiceContext, Request], None]] = {
    "CreateStateMachine": definitions.precheck,
    "UpdateStateMachine": definitions.precheck,
}

#: Long-polled operations: the handler (None while there is nothing to answer yet) and the engine
#: notice key that says it is worth calling again.
LONG_POLLS: dict[str, tuple[WriteHandler, Callable[[Request], str]]] = {
    "GetActivityTask": (activities.poll, activities.notice_key),
}

#: Answered once the EXPRESS execution it starts has ended (see ``service.sync``).
SYNC_EXECUTION = "StartSyncExecution"
#: Resolved in a worker thread first (``executions.prepare``): an EXPRESS execution never reaches the
#: engine's batch, a STANDARD one is stored by ``executions.insert`` in it.
START_EXECUTION = "StartExecution"
