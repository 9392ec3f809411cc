"""The AWS pass-through: ``aws-sdk:SERVICE:ACTION`` and optimized integrations, called with boto3.

Parameters are the API's own (``Bucket``, ``QueueUrl``, ...), as in AWS; the result is the API's
response without ``ResponseMetadata``, timestamps as ISO-8601 text. A service error is the task's
error ``Service.ErrorCode`` (``DynamoDB.ConditionalCheckFailedException``), cause its message.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import Target

_ALIASES = {"dynamodb": "DynamoDB", "sqs": "SQS", "sns": "SNS", "s3": "S3", "ecs": "ECS", "glue": "Glue",
            "events": "EventBridge", "eventbridge": "EventBridge", "sfn": "Sfn"}
_CLIENT_NAMES = {"eventbridge": "events", "sfn": "stepfunctions"}


def call(target: Target, value: Any, endpoint_url: str, region: str) -> Outcome:
    """One API call against ``endpoint_url``."""
    import boto3  # type: ignore[import-untyped]
    import botocore.exceptions  # type: ignore[import-untyped]
    from botocore import xform_name

    service = target.service.removeprefix("aws-sdk:")
    client = boto3.client(_CLIENT_NAMES.get(service, service), endpoint_url=endpoint_url, region_name=region,
                          aws_access_key_id="stepforge", aws_secret_access_key="stepforge")
    try:
        operation = client.meta.service_model.operation_model(target.action[:1].upper() + target.action[1:])
    except botocore.exceptions.OperationNotFoundError as exc:
        return Outcome(error="States.Runtime", cause=f"{service} has no action {target.action!r}: {exc}")
    params = to_model(value if isinstance(value, dict) else {}, operation.input_shape)
    try:
        response = getattr(client, xform_name(target.action))(**params)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        return Outcome(error=f"{_ALIASES.get(service, service.capitalize())}.{code}", cause=message)
    except (botocore.exceptions.BotoCoreError, AttributeError, TypeError) as exc:
        return Outcome(error="States.TaskFailed", cause=f"{type(exc).__name__}: {exc}")
    response.pop("ResponseMetadata", None)
    return Outcome(output=json.loads(json.dumps(from_model(response, operation.output_shape), default=_plain)))


def to_model(value: Any, shape: Any) -> Any:
    """Step Functions' PascalCase parameters to the service's own member names (``ActivityArn`` ->
    ``activityArn``), matched case-insensitively along the operation's input shape; map keys stay."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        renamed = {members.get(key.lower(), key): item for key, item in value.items()}
        return {key: to_model(item, shape.members.get(key)) for key, item in renamed.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [to_model(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: to_model(item, shape.value) for key, item in value.items()}
    return value


def from_model(value: Any, shape: Any) -> Any:
    """A response with structure member names in PascalCase, as Step Functions returns them."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {key[:1].upper() + key[1:]: from_model(item, shape.members.get(key)) for key, item in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [from_model(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: from_model(item, shape.value) for key, item in value.items()}
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if hasattr(value, "read"):
        return value.read().decode(errors="replace")
    return str(value)
