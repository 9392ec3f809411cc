"""Calling a Python function as Lambda would, and shaping what comes back as Step Functions reports it.

:func:`call` runs a handler as Lambda's Python runtime does and answers with the *raw* response: on
success the payload text (a ``bytes`` result as it is, anything else as JSON), on failure the
``errorType`` and the error document ``{"errorMessage", "errorType", "requestId", "stackTrace"}``
(trace paths relative to the task root ``/var/task``); a result that is not JSON is
``Runtime.MarshalError``, a handler past its timeout ``Sandbox.Timedout``, a worker process that dies
``Lambda.Unknown``. :func:`finish` turns a raw response - from a Python function or from the Lambda
API - into the task's outcome: the payload parsed (over 256 KiB: ``States.DataLimitExceeded``), the
error document as the Cause (compact JSON for ``lambda:invoke``, Lambda's own text for a function ARN).
"""

from __future__ import annotations

import base64
import json
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

from stepforge.tasks import tracecontext
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
    #: The W3C trace headers of the task's span (``traceparent``...), empty when tracing is off.
    trace_context: dict[str, str] = field(default_factory=tracecontext.current)

    def __post_init__(self) -> None:
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"
        self.log_stream_name = self.log_stream_name or f"stepforge/[{self.function_version}]{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout - time.monotonic()) * 1000))


#: The largest result a state may have, in bytes of UTF-8.
MAX_RESULT = 256 * 1024
_TASK_ROOT = "/var/task/"


def new_request_id() -> str:
    return str(uuid.uuid4())


def call(handler: Any, event_json: str, context: LambdaContext) -> Outcome:
    """Run ``handler(event, context)``; the raw response, as Lambda's runtime returns it."""
    try:
        event = json.loads(event_json) if event_json.strip() else {}
    except ValueError as exc:
        return _failure("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}", context.aws_request_id)
    try:
        result = handler(event, context)
    except Exception as exc:  # noqa: BLE001 - the handler's error is the task's error
        return error_outcome(exc, context.aws_request_id)
    if isinstance(result, (bytes, bytearray)):
        return Outcome(output=bytes(result).decode(errors="replace"))
    try:
        return Outcome(output=json.dumps(result))
    except (TypeError, ValueError) as exc:
        return _failure("Runtime.MarshalError", f"Unable to marshal response: {exc}", context.aws_request_id)


def call_target(target: str, event_json: str, context: LambdaContext) -> Outcome:
    """``call`` for a worker process: imports the handler by its ``module:attribute`` target."""
    return call(import_target(target), event_json, context)


def finish(raw: Outcome, wrapped: bool, label: str) -> Outcome:
    """The task's outcome from a raw response; ``label`` names the task in a data-limit error."""
    if raw.failed:
        return Outcome(error=raw.error, cause=_compact(raw.cause) if wrapped else raw.cause)
    text = raw.output if isinstance(raw.output, str) else json.dumps(raw.output)
    if len(text.encode()) > MAX_RESULT:
        return Outcome(error="States.DataLimitExceeded", cause=(
            f"The state/task '{label}' returned a result with a size exceeding the maximum number of bytes "
            "service limit."))
    try:
        return Outcome(output=json.loads(text) if text else "")
    except ValueError:
        return Outcome(output=text)


def error_outcome(exc: BaseException, request_id: str) -> Outcome:
    frames = traceback.extract_tb(exc.__traceback__)[1:]
    for frame in frames:
        frame.filename = task_path(frame.filename)
    return _failure(type(exc).__name__, str(exc), request_id, traceback.format_list(frames))


def task_path(filename: str) -> str:
    """A source file as Lambda shows it: relative to the task root, not this machine's folders."""
    roots = sorted((entry for entry in sys.path if entry and filename.startswith(entry.rstrip("/") + "/")),
                   key=len, reverse=True)
    relative = filename[len(roots[0].rstrip("/")) + 1:] if roots else filename.rsplit("/", 1)[-1]
    return _TASK_ROOT + relative


def timed_out(request_id: str, seconds: float) -> Outcome:
    message = f"RequestId: {request_id} Error: Task timed out after {seconds:.2f} seconds"
    return Outcome(error="Sandbox.Timedout", cause=json.dumps({"errorMessage": message,
                                                               "errorType": "Sandbox.Timedout"}))


def unknown(detail: str) -> Outcome:
    payload = json.dumps({"errorMessage": detail})
    return Outcome(error="Lambda.Unknown", cause="The cause could not be determined because Lambda did not "
                                                 f"return an error type. Returned payload: {payload}")


def function_error(payload: str) -> Outcome:
    """The raw failure of a response that Lambda marked with ``X-Amz-Function-Error``."""
    try:
        document = json.loads(payload)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("errorType"), str):
        return Outcome(error=document["errorType"], cause=payload)
    return Outcome(error="Lambda.Unknown", cause="The cause could not be determined because Lambda did not "
                                                 f"return an error type. Returned payload: {payload}")


def not_found(arn: str, request_id: str) -> Outcome:
    return Outcome(error="Lambda.ResourceNotFoundException", cause=(
        f"Function not found: {arn} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
        f"Request ID: {request_id}; Proxy: null)"))


def _failure(error_type: str, message: str, request_id: str, stack: list[str] | None = None) -> Outcome:
    cause = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack or []}
    return Outcome(error=error_type, cause=json.dumps(cause))


def _compact(cause: str | None) -> str | None:
    try:
        document = json.loads(cause or "")
    except ValueError:
        return cause
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False) if isinstance(document, dict) else cause


def log_tail(request_id: str, version: str) -> str:
    """``LogResult`` of an invocation with ``LogType: Tail``: the base64 of its log's last lines."""
    text = (f"START RequestId: {request_id} Version: {version}\nEND RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\n")
    return base64.b64encode(text.encode()).decode()
