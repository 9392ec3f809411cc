"""Calling a Python function as Lambda would, and shaping what comes back as Lambda reports it.

A handler's exception becomes ``errorType`` -> the task's Error and ``{"errorMessage", "errorType",
"requestId", "stackTrace"}`` -> its Cause; a result that is not JSON is ``Runtime.MarshalError``;
a handler past its timeout is ``Sandbox.Timedout``; a worker process that dies is ``Lambda.Unknown``.
"""

from __future__ import annotations

import json
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

from stepforge.tasks.functions import import_target


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a piece of task work ended: an output, or an error and cause."""

    output: Any = None
    error: str | None = None
    cause: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass
class LambdaContext:
    """The ``context`` argument of a handler, with the attributes of Lambda's Python context."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    aws_request_id: str
    timeout: float
    memory_limit_in_mb: int = 128
    log_group_name: str = ""
    log_stream_name: str = ""
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or f"stepforge/[{self.function_version}]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout - time.monotonic()) * 1000))


def new_request_id() -> str:
    return str(uuid.uuid4())


def call(handler: Any, event_json: str, context: LambdaContext) -> Outcome:
    """Run ``handler(event, context)``; a handler's own errors become Lambda's error shapes."""
    try:
        result = handler(json.loads(event_json), context)
    except Exception as exc:  # noqa: BLE001 - the handler's error is the task's error
        return error_outcome(exc, context.aws_request_id)
    try:
        return Outcome(output=json.loads(json.dumps(result)))
    except (TypeError, ValueError) as exc:
        return _failure("Runtime.MarshalError", f"Unable to marshal response: {exc}", context.aws_request_id)


def call_target(target: str, event_json: str, context: LambdaContext) -> Outcome:
    """``call`` for a worker process: imports the handler by its ``module:attribute`` target."""
    return call(import_target(target), event_json, context)


def error_outcome(exc: BaseException, request_id: str) -> Outcome:
    stack = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
    return _failure(type(exc).__name__, str(exc), request_id, stack)


def timed_out(request_id: str, seconds: float) -> Outcome:
    message = f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds"
    return Outcome(error="Sandbox.Timedout", cause=json.dumps({"errorMessage": message,
                                                               "errorType": "Sandbox.Timedout"}))


def unknown(detail: str) -> Outcome:
    payload = json.dumps({"errorMessage": detail})
    return Outcome(error="Lambda.Unknown", cause="The cause could not be determined because Lambda did not "
                                                 f"return an error type. Returned payload: {payload}")


def not_found(arn: str, request_id: str) -> Outcome:
    return Outcome(error="Lambda.ResourceNotFoundException", cause=(
        f"Function not found: {arn} (Service: Lambda, Status Code: 404, Request ID: {request_id})"))


def _failure(error_type: str, message: str, request_id: str, stack: list[str] | None = None) -> Outcome:
    cause = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack or []}
    return Outcome(error=error_type, cause=json.dumps(cause))


def invoke_output(payload: Any, version: str, request_id: str, status: int = 200) -> dict[str, Any]:
    """The result of ``arn:aws:states:::lambda:invoke``, as AWS shapes Lambda's Invoke response."""
    headers = {"Connection": "keep-alive", "Content-Type": "application/json",
               "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
               "X-Amz-Executed-Version": version, "x-amzn-Remapped-Content-Length": "0",
               "x-amzn-RequestId": request_id}
    return {
        "ExecutedVersion": version,
        "Payload": payload,
        "SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()}, "HttpHeaders": headers,
                            "HttpStatusCode": status},
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": status,
    }
