"""The AWS pass-through: ``aws-sdk:SERVICE:ACTION`` and optimized integrations, called with boto3.

Parameters are the API's own (``Bucket``, ``QueueUrl``, ...), as in AWS; a JSON object or array
given where the API takes a string (``MessageBody``, ``Message``, ``Detail``, ``Input``) is sent as
its JSON text, as Step Functions does. The result is the API's response without
``ResponseMetadata``, timestamps as ISO-8601 text; optimized integrations add ``SdkHttpMetadata``
and ``SdkResponseMetadata`` (see :mod:`stepforge.tasks.aws.metadata`). Service errors are named as
Step Functions names them (see :mod:`stepforge.tasks.aws.errors`).
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from stepforge.tasks.aws import clients, errors, metadata
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import Target

_CLIENT_NAMES = {"eventbridge": "events", "sfn": "stepfunctions", "states": "stepfunctions"}


def call(target: Target, value: Any, endpoint_url: str, region: str) -> Outcome:
    """One API call against ``endpoint_url``."""
    import botocore.exceptions  # type: ignore[import-untyped]
    from botocore import xform_name

    optimized = not target.service.startswith("aws-sdk:")
    service = target.service.removeprefix("aws-sdk:")
    client = clients.client(_CLIENT_NAMES.get(service, service), endpoint_url, region)
    model = client.meta.service_model
    try:
        operation = model.operation_model(target.action[:1].upper() + target.action[1:])
    except botocore.exceptions.OperationNotFoundError as exc:
        return Outcome(error="States.Runtime", cause=f"{service} has no action {target.action!r}: {exc}")
    params = to_model(value if isinstance(value, dict) else {}, operation.input_shape)
    try:
        response = getattr(client, xform_name(operation.name))(**params)
    except botocore.exceptions.ClientError as exc:
        error, meta = exc.response.get("Error", {}), exc.response.get("ResponseMetadata", {})
        return errors.optimized(service, model, error, meta) if optimized else errors.sdk(model, error, meta)
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError) as exc:
        return errors.unreachable(service, model, optimized, exc)
    except (botocore.exceptions.BotoCoreError, AttributeError, TypeError, ValueError) as exc:
        return Outcome(error="States.TaskFailed", cause=f"{type(exc).__name__}: {exc}")
    return result(service, optimized, response, operation.output_shape)


def result(service: str, optimized: bool, response: dict[str, Any], shape: Any) -> Outcome:
    """A boto3 response as the task's result (or the failure an optimized integration reports in it)."""
    meta = response.pop("ResponseMetadata", {})
    output = json.loads(json.dumps(from_model(response, shape), default=_plain))
    if optimized and service == "events" and output.get("FailedEntryCount"):
        return Outcome(error="EventBridge.FailedEntry", cause=json.dumps(output, separators=(",", ":")))
    if optimized and service in metadata.WITH_METADATA:
        output.update(metadata.from_response(meta))
    return Outcome(output=output)


def to_model(value: Any, shape: Any) -> Any:
    """Step Functions' PascalCase parameters to the service's own member names (``ActivityArn`` ->
    ``activityArn``), matched case-insensitively along the operation's input shape; map keys stay.
    A JSON object or array where the shape takes a string becomes its compact JSON text; a null
    member is left out, as the AWS SDKs leave it out (so the service reports a missing one)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        renamed = {members.get(key.lower(), key): item for key, item in value.items() if item is not None}
        return {key: to_model(item, shape.members.get(key)) for key, item in renamed.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [to_model(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: to_model(item, shape.value) for key, item in value.items()}
    if shape.type_name == "string" and isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
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
