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
            "events": "EventBridge", "eventbridge": "EventBridge"}
_CLIENT_NAMES = {"eventbridge": "events"}


def call(target: Target, value: Any, endpoint_url: str, region: str) -> Outcome:
    """One API call against ``endpoint_url``."""
    import boto3  # type: ignore[import-untyped]
    import botocore.exceptions  # type: ignore[import-untyped]
    from botocore import xform_name

    service = target.service.removeprefix("aws-sdk:")
    client = boto3.client(_CLIENT_NAMES.get(service, service), endpoint_url=endpoint_url, region_name=region,
                          aws_access_key_id="stepforge", aws_secret_access_key="stepforge")
    params = value if isinstance(value, dict) else {}
    try:
        response = getattr(client, xform_name(target.action))(**params)
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        return Outcome(error=f"{_ALIASES.get(service, service.capitalize())}.{code}", cause=message)
    except (botocore.exceptions.BotoCoreError, AttributeError, TypeError) as exc:
        return Outcome(error="States.TaskFailed", cause=f"{type(exc).__name__}: {exc}")
    response.pop("ResponseMetadata", None)
    return Outcome(output=json.loads(json.dumps(response, default=_plain)))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if hasattr(value, "read"):
        return value.read().decode(errors="replace")
    return str(value)
