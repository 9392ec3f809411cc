"""Service errors named as Step Functions names them.

Optimized integrations (``arn:aws:states:::sqs:sendMessage``) report errors as the Java SDK v1 does:
``SQS.AmazonSQSException``, ``DynamoDB.ResourceNotFoundException``, cause ``message (Service:
AmazonSQS; Status Code: 400; Error Code: MissingParameter; Request ID: ...; Proxy: null)``.
``aws-sdk:*`` tasks report them as the Java SDK v2 does: ``DynamoDb.DynamoDbException``,
``S3.NoSuchBucketException``, cause ``message (Service: DynamoDb, Status Code: 400, Request ID: ...)
(SDK Attempt Count: 1)``. The attempt count is what the SDK v2 appends to every exception's message
since February 2025 (aws/aws-sdk-java-v2#5834): AWS's recordings from 2025 carry it, those from 2023
do not. Optimized integrations' SDK v1 messages never had it.
An error the service model declares keeps its shape's name (with ``Exception`` appended when it
lacks it); any other is the service's generic exception.
"""

from __future__ import annotations

import re
from typing import Any

from stepforge.tasks.lambdas import Outcome

#: Optimized integrations: the error prefix, the SDK v1 client name and its generic exception.
_V1: dict[str, tuple[str, str, str]] = {
    "sqs": ("SQS", "AmazonSQS", "AmazonSQSException"),
    "sns": ("SNS", "AmazonSNS", "AmazonSNSException"),
    "dynamodb": ("DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"),
    "lambda": ("Lambda", "AWSLambda", "AWSLambdaException"),
    "states": ("StepFunctions", "AWSStepFunctions", "AWSStepFunctionsException"),
    "events": ("EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"),
    "elasticmapreduce": ("EMR", "AmazonElasticMapReduce", "AmazonElasticMapReduceException"),
    "emr-containers": ("EMRContainers", "AmazonEMRContainers", "AmazonEMRContainersException"),
}
_WORD = re.compile(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[0-9]+|[a-z]+")


def sdk_v2_name(service_id: str) -> str:
    """The Java SDK v2 name of a service (``DynamoDB`` -> ``DynamoDb``, ``SFN`` -> ``Sfn``)."""
    return "".join(word[:1].upper() + word[1:].lower() for word in _WORD.findall(service_id))


def optimized(service: str, model: Any, error: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    """The failure of an optimized integration's call that the service refused."""
    prefix, client, generic = _v1(service, model)
    code, message = str(error.get("Code") or "Unknown"), str(error.get("Message") or "")
    status, request_id = meta.get("HTTPStatusCode", 400), meta.get("RequestId", "")
    cause = (f"{message} (Service: {client}; Status Code: {status}; Error Code: {code}; "
             f"Request ID: {request_id}; Proxy: null)")
    return Outcome(error=f"{prefix}.{_modeled(model, error) or generic}", cause=cause)


def sdk(model: Any, error: dict[str, Any], meta: dict[str, Any]) -> Outcome:
    """The failure of an ``aws-sdk:*`` call that the service refused (``meta``: boto3's
    ``ResponseMetadata``, whose ``RetryAttempts`` gives the attempt count)."""
    name = sdk_v2_name(model.service_id)
    message = str(error.get("Message") or "")
    status, request_id = meta.get("HTTPStatusCode", 400), meta.get("RequestId", "")
    cause = f"{message} (Service: {name}, Status Code: {status}, Request ID: {request_id}"
    extended = (meta.get("HTTPHeaders") or {}).get("x-amz-id-2") or meta.get("HostId")
    cause += f", Extended Request ID: {extended})" if extended else ")"
    cause += attempt_count(int(meta.get("RetryAttempts") or 0) + 1)
    return Outcome(error=f"{name}.{_modeled(model, error) or name + 'Exception'}", cause=cause)


def unreachable(service: str, model: Any, optimized_integration: bool, exc: Exception,
                attempts: int = 1) -> Outcome:
    """A call that never got a service's answer (connection refused, unknown host, ...) after
    ``attempts`` tries (the Java SDK v2 of ``aws-sdk:*`` tasks counts them in the cause)."""
    cause = f"Unable to execute HTTP request: {exc}"
    if optimized_integration:
        return Outcome(error=f"{_v1(service, model)[0]}.SdkClientException", cause=cause)
    return Outcome(error=f"{sdk_v2_name(model.service_id)}.SdkClientException", cause=cause + attempt_count(attempts))


def attempt_count(attempts: int) -> str:
    """The suffix the Java SDK v2 gives an exception's message: `` (SDK Attempt Count: 1)``."""
    return f" (SDK Attempt Count: {attempts})"


def _v1(service: str, model: Any) -> tuple[str, str, str]:
    known = _V1.get(service)
    if known is not None:
        return known
    compact = model.service_id.replace(" ", "")
    return compact, f"Amazon{compact}", f"Amazon{compact}Exception"


def _modeled(model: Any, error: dict[str, Any]) -> str | None:
    """The exception class of an error the model declares (by its code, or the JSON code of a
    query-compatible service such as SQS: ``AWS.SimpleQueueService.NonExistentQueue``)."""
    codes = {error.get("QueryErrorCode"), error.get("Code")} - {None}
    for shape in model.error_shapes:
        if shape.error_code in codes or shape.name in codes:
            return str(shape.name) if shape.name.endswith("Exception") else f"{shape.name}Exception"
    return None
