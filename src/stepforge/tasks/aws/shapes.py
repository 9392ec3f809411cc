"""Between Step Functions' JSON and boto3's shapes: member names, strings that carry JSON, plain values."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any


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


def plain(value: Any, shape: Any) -> Any:
    """A boto3 response as JSON values: PascalCase members, timestamps as ISO-8601, bodies as text."""
    return json.loads(json.dumps(from_model(value, shape), default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if hasattr(value, "read"):
        return value.read().decode(errors="replace")
    return str(value)
