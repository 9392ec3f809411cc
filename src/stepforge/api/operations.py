"""The operation table: ``X-Amz-Target: AWSStepFunctions.<Name>`` -> the service function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepforge.service import activities, executions, statemachines
from stepforge.service.context import Request, ServiceContext

Handler = Callable[[ServiceContext, Request], Any]

TARGET_PREFIX = "AWSStepFunctions."

OPERATIONS: dict[str, Handler] = {
    "CreateStateMachine": statemachines.create,
    "DescribeStateMachine": statemachines.describe,
    "ListStateMachines": statemachines.list_,
    "DeleteStateMachine": statemachines.delete,
    "ValidateStateMachineDefinition": statemachines.validate,
    "StartExecution": executions.start,
    "DescribeExecution": executions.describe,
    "StopExecution": executions.stop,
    "ListExecutions": executions.list_,
    "GetExecutionHistory": executions.history,
    "CreateActivity": activities.create,
    "DescribeActivity": activities.describe,
    "ListActivities": activities.list_,
    "DeleteActivity": activities.delete,
    "SendTaskSuccess": activities.send_success,
    "SendTaskFailure": activities.send_failure,
    "SendTaskHeartbeat": activities.send_heartbeat,
}

#: Long-polled operations: the HTTP layer repeats them until they answer or the poll times out.
LONG_POLLS: dict[str, Handler] = {"GetActivityTask": activities.poll}
