"""Validator rules for Task resources and for error handling (``Retry``, ``Catch``).

Resources: AWS accepts Lambda and activity ARNs, ``aws-sdk:`` integrations and the optimized
service integrations it knows (``arn:aws:states:::sqs:sendMessage.waitForTaskToken``); an
unknown ``arn:aws:states:::`` integration is refused. Express machines refuse activities, ``.sync``
and ``.waitForTaskToken``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from stepforge.asl import errors
from stepforge.asl.validation.fields import Collector, Scope, is_object

#: Optimized integrations: service -> actions (each may carry .sync, .sync:2 or .waitForTaskToken).
INTEGRATIONS: Final[dict[str, frozenset[str]]] = {
    service: frozenset(actions.split()) for service, actions in {
        "lambda": "invoke",
        "sns": "publish",
        "sqs": "sendMessage",
        "states": "startExecution",
        "dynamodb": "getItem putItem updateItem deleteItem",
        "events": "putEvents",
        "ecs": "runTask",
        "batch": "submitJob",
        "glue": "startJobRun",
        "databrew": "startJobRun",
        "athena": "startQueryExecution stopQueryExecution getQueryExecution getQueryResults",
        "sagemaker": "createTrainingJob createTransformJob createEndpoint createEndpointConfig "
                     "createHyperParameterTuningJob createLabelingJob createModel createProcessingJob "
                     "updateEndpoint",
        "elasticmapreduce": "createCluster terminateCluster addStep cancelStep setClusterTerminationProtection "
                            "modifyInstanceFleetByName modifyInstanceGroupByName",
        "emr-containers": "startJobRun createVirtualCluster deleteVirtualCluster",
        "emr-serverless": "createApplication startApplication stopApplication deleteApplication "
                          "startJobRun cancelJobRun",
        "eks": "createCluster deleteCluster createFargateProfile deleteFargateProfile createNodegroup "
               "deleteNodegroup runJob call",
        "apigateway": "invoke",
        "codebuild": "startBuild stopBuild batchDeleteBuilds batchGetReports startBuildBatch retryBuild "
                     "retryBuildBatch stopBuildBatch deleteBuildBatch",
        "http": "invoke",
        "bedrock": "invokeModel createModelCustomizationJob",
        "mediaconvert": "createJob",
    }.items()
}
_SUFFIXES: Final = ("", ".sync", ".sync:2", ".waitForTaskToken")
_ARN = re.compile(r"arn:([\w-]+):([\w-]+):([\w-]*):(\d*):(.+)\Z")

#: Error names with the reserved ``States.`` prefix that ErrorEquals may name.
KNOWN_ERRORS: Final = frozenset({
    errors.ALL, errors.BRANCH_FAILED, errors.DATA_LIMIT_EXCEEDED, errors.EXCEED_TOLERATED_FAILURE_THRESHOLD,
    errors.HEARTBEAT_TIMEOUT, errors.INTRINSIC_FAILURE, errors.ITEM_READER_FAILED, errors.NO_CHOICE_MATCHED,
    errors.PARAMETER_PATH_FAILURE, errors.PERMISSIONS, errors.QUERY_EVALUATION_ERROR,
    errors.RESULT_PATH_MATCH_FAILURE, errors.RESULT_WRITER_FAILED, errors.RUNTIME, errors.TASK_FAILED,
    errors.TIMEOUT,
})
_OPEN_ERROR_PREFIXES: Final = ("States.Http.",)


def check_resource(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A Task's ``Resource``: a known ARN, and one an Express machine may call."""
    if not isinstance(value, str):
        out.error("The value for the field 'Resource' must be a string", at)
        return
    match = _ARN.match(value)
    if match is None:
        out.error(f"Value is not a valid resource ARN: {value}", at, code="INVALID_RESOURCE")
        return
    _, service, region, account, rest = match.groups()
    if service == "states" and not region and not account:
        _check_integration(out, value, rest, at, scope)
    elif service == "states" and rest.startswith("activity:") and scope.machine_type == "EXPRESS":
        out.error("Express state machine does not support Activity ARN", at)


def _check_integration(out: Collector, arn: str, rest: str, at: str, scope: Scope) -> None:
    service, _, action = rest.partition(":")
    if service == "aws-sdk":
        known = action.count(":") >= 1
    else:
        base, dot, suffix = action.partition(".")
        known = base in INTEGRATIONS.get(service, ()) and (dot + suffix) in _SUFFIXES
    if not known:
        out.error(f"The resource provided {arn} is not recognized. The value is not a valid resource ARN, "
                  "or the resource is not available in this region.", at)
    elif scope.machine_type == "EXPRESS":
        if ".waitForTaskToken" in action:
            out.error("Express state machine does not support '.waitForTaskToken' service integration ", at)
        elif ".sync" in action:
            out.error("Express state machine does not support '.sync' service integration", at)


def check_error_equals(out: Collector, value: Any, at: str) -> bool:
    """ErrorEquals: a non-empty array of error names; ``States.ALL`` alone. Returns whether it has States.ALL."""
    if not isinstance(value, list) or not value:
        out.error("ErrorEquals must be a non-empty array of error names", at)
        return False
    for i, name in enumerate(value):
        if not isinstance(name, str) or not name:
            out.error("An error name must be a non-empty string", f"{at}/{i}")
        elif name.startswith("States.") and name not in KNOWN_ERRORS and not name.startswith(_OPEN_ERROR_PREFIXES):
            out.warning("RESERVED_ERROR_PREFIX", f"'{name}' is not an error Step Functions raises: the prefix "
                        "'States.' is reserved, so only a state or task that reports this name can match it",
                        f"{at}/{i}")
    has_all = errors.ALL in value
    if has_all and len(value) > 1:
        out.error(f"{errors.ALL} must appear alone in ErrorEquals", at)
    return has_all


def check_handlers(out: Collector, value: Any, at: str, kind: str, fields: Any, scope: Scope) -> None:
    """``Retry`` or ``Catch``: an array of objects; the one naming ``States.ALL`` must be last."""
    if not isinstance(value, list):
        out.error(f"Expected value of type array for {kind}", at)
        return
    for i, handler in enumerate(value):
        pointer = f"{at}/{i}"
        if not is_object(handler):
            out.error(f"Each {kind} entry must be an object", pointer)
            continue
        if "ErrorEquals" not in handler:
            out.error("The field 'ErrorEquals' is required but was missing", pointer)
        elif check_error_equals(out, handler["ErrorEquals"], f"{pointer}/ErrorEquals") and i < len(value) - 1:
            out.error(f"{errors.ALL} must appear in the last {kind} entry", f"{pointer}/ErrorEquals")
        fields(out, handler, pointer, scope)
