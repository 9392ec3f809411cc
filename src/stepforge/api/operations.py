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
from stepforge.service.context import Request, ServiceContext

Handler = Callable[[ServiceContext, Request], Any]

TARGET_PREFIX = "AWSStepFunctions."

OPERATIONS: dict[str, Handler] = {
    "CreateStateMachine": statemachines.create,
    "DescribeStateMachine": statemachines.describe,
    "ListStateMachines": statemachines.list_,
    "UpdateStateMachine": statemachines.update,
    "DeleteStateMachine": statemachines.delete,
    "ValidateStateMachineDefinition": statemachines.validate,
    "PublishStateMachineVersion": versions.publish_version,
    "ListStateMachineVersions": versions.list_versions,
    "DeleteStateMachineVersion": versions.delete_version,
    "CreateStateMachineAlias": aliases.create,
    "DescribeStateMachineAlias": aliases.describe,
    "UpdateStateMachineAlias": aliases.update,
    "ListStateMachineAliases": aliases.list_,
    "DeleteStateMachineAlias": aliases.delete,
    "StartExecution": executions.start,
    "DescribeExecution": executions.describe,
    "DescribeStateMachineForExecution": executions.describe_state_machine,
    "StopExecution": executions.stop,
    "ListExecutions": executions.list_,
    "GetExecutionHistory": executions.history,
    "RedriveExecution": redrive.redrive_execution,
    "ListMapRuns": maprun.list_,
    "DescribeMapRun": maprun.describe,
    "UpdateMapRun": maprun.update,
    "TestState": teststate.test_state,
    "TagResource": tags.tag,
    "UntagResource": tags.untag,
    "ListTagsForResource": tags.list_,
    "CreateActivity": activities.create,
    "DescribeActivity": activities.describe,
    "ListActivities": activities.list_,
    "DeleteActivity": activities.delete,
    "SendTaskSuccess": activities.send_success,
    "SendTaskFailure": activities.send_failure,
    "SendTaskHeartbeat": activities.send_heartbeat,
}

#: CPU work a write does before it is queued for the engine's batch (run in a worker thread).
PRECHECKS: dict[str, Callable[[ServiceContext, Request], None]] = {
    "CreateStateMachine": definitions.precheck,
    "UpdateStateMachine": definitions.precheck,
}

#: Long-polled operations: the handler (None while there is nothing to answer yet) and the engine
#: notice key that says it is worth calling again.
LONG_POLLS: dict[str, tuple[Handler, Callable[[Request], str]]] = {
    "GetActivityTask": (activities.poll, activities.notice_key),
}

#: Answered once the EXPRESS execution it starts has ended (see ``service.sync``).
SYNC_EXECUTION = "StartSyncExecution"
