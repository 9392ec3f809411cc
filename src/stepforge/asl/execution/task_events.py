"""History events of a Task, shaped per kind of resource as AWS writes them.

Activities write ``Activity*`` events, Lambda functions ``LambdaFunction*`` events, and every other
integration the generic ``Task*`` events with ``resourceType``/``resource``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

EventParts = tuple[str, str | None, dict[str, Any] | None]

_PREFIX = {"activity": "Activity", "lambda": "LambdaFunction", "task": "Task"}


def _key(type_: str) -> str:
    return type_[0].lower() + type_[1:] + "EventDetails"


@cache
def _names(kind: str, suffix: str) -> tuple[str, str]:
    """(event type, its details key) of a kind of resource's event."""
    type_ = _PREFIX[kind] + suffix
    return type_, _key(type_)


def _resource_fields(kind: str, resource: str) -> dict[str, Any]:
    if kind != "task":
        return {}
    service = resource.split(":::", 1)[-1] if ":::" in resource else resource
    resource_type, _, action = service.partition(":")
    return {"resourceType": resource_type, "resource": action or resource_type}


def _event(kind: str, suffix: str, details: dict[str, Any] | None) -> EventParts:
    type_, key = _names(kind, suffix)
    return type_, (None if details is None else key), details


def scheduled(kind: str, resource: str, input_json: str, timeout: float | None,
              heartbeat: float | None) -> EventParts:
    details: dict[str, Any]
    if kind == "task":
        details = {**_resource_fields(kind, resource), "region": "us-east-1", "parameters": input_json}
    else:
        details = {"resource": resource, "input": input_json, "inputDetails": {"truncated": False}}
    if timeout is not None:
        details["timeoutInSeconds"] = int(timeout)
    if heartbeat is not None and kind != "lambda":
        details["heartbeatInSeconds"] = int(heartbeat)
    return _event(kind, "Scheduled", details)


def started(kind: str, resource: str, worker_name: str | None) -> EventParts:
    if kind == "activity":
        return _event(kind, "Started", {"workerName": worker_name} if worker_name else {})
    if kind == "lambda":
        return _event(kind, "Started", None)
    return _event(kind, "Started", _resource_fields(kind, resource))


def submitted(kind: str, resource: str, output_json: str) -> EventParts:
    return _event(kind, "Submitted", {
        **_resource_fields(kind, resource), "output": output_json, "outputDetails": {"truncated": False},
    })


def succeeded(kind: str, resource: str, output_json: str) -> EventParts:
    return _event(kind, "Succeeded", {
        **_resource_fields(kind, resource), "output": output_json, "outputDetails": {"truncated": False},
    })


def failed(kind: str, resource: str, error: str | None, cause: str | None) -> EventParts:
    return _event(kind, "Failed", {**_resource_fields(kind, resource), **_error_fields(error, cause)})


def timed_out(kind: str, resource: str, error: str) -> EventParts:
    return _event(kind, "TimedOut", {**_resource_fields(kind, resource), "error": error})


def _error_fields(error: str | None, cause: str | None) -> dict[str, Any]:
    fields = {} if error is None else {"error": error}
    if cause is not None:
        fields["cause"] = cause
    return fields
