"""Lambda's Invoke: a function that is not registered here, called on the configured endpoint.

The response comes back raw (payload text, or ``X-Amz-Function-Error`` with the error document) and
is finished as for a Python function (:func:`stepforge.tasks.lambdas.finish`). For ``lambda:invoke``
the result is Invoke's response as Step Functions shows it: ``ExecutedVersion``, ``Payload``
(parsed when it is JSON), ``StatusCode``, ``LogResult`` (with ``LogType: Tail``) and the HTTP metadata.
A function the endpoint does not have is ``Lambda.ResourceNotFoundException`` naming the version
looked for, as Lambda names it (``Function not found: arn:...:function:NAME:$LATEST``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from stepforge.tasks import lambdas
from stepforge.tasks.aws import clients, errors, metadata
from stepforge.tasks.lambdas import Outcome


@dataclass(frozen=True, slots=True)
class Request:
    """One Invoke call: the function as the task names it, the payload text and Invoke's options."""

    function: str
    payload: str
    wrapped: bool                 # lambda:invoke: the result is Invoke's response
    label: str                    # the task as a data-limit error names it
    qualifier: str | None = None
    invocation_type: str = "RequestResponse"
    log_type: str | None = None
    client_context: str | None = None


def invoke(request: Request, endpoint_url: str, region: str) -> Outcome:
    """Call the function on ``endpoint_url`` and shape its answer."""
    import botocore.exceptions  # type: ignore[import-untyped]

    client = clients.client("lambda", endpoint_url, region)
    try:
        response = client.invoke(**_params(request))
    except botocore.exceptions.ClientError as exc:
        error = _qualified(exc.response.get("Error", {}), request.qualifier)
        return errors.optimized("lambda", client.meta.service_model, error, exc.response.get("ResponseMetadata", {}))
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError) as exc:
        return errors.unreachable("lambda", client.meta.service_model, True, exc)
    body = response["Payload"].read().decode(errors="replace")
    raw = lambdas.function_error(body) if response.get("FunctionError") else Outcome(output=body)
    finished = lambdas.finish(raw, request.wrapped, request.label)
    if finished.failed or not request.wrapped:
        return finished
    meta = response.get("ResponseMetadata", {})
    output: dict[str, Any] = {"ExecutedVersion": response.get("ExecutedVersion", "$LATEST"),
                              "Payload": finished.output, "StatusCode": response.get("StatusCode", 200),
                              **metadata.from_response(meta)}
    if response.get("LogResult"):
        output["LogResult"] = response["LogResult"]
    return Outcome(output=output)


_NOT_FOUND = "Function not found: "
#: ``arn:aws:lambda:REGION:ACCOUNT:function:NAME`` has six colons; a qualified ARN has seven.
_UNQUALIFIED_COLONS = 6


def _qualified(error: dict[str, Any], qualifier: str | None) -> dict[str, Any]:
    """The error as Lambda words it. For a missing function Lambda names the version it looked for
    (``Function not found: arn:...:function:NAME:$LATEST``), as this server does when no endpoint is
    configured; an endpoint that names only the function (moto, the conformance kit's emulation) has
    the version the task asked for added, so the task fails the same way whichever endpoint answers.
    Any other error is returned as it is."""
    message = str(error.get("Message") or "")
    arn = message.removeprefix(_NOT_FOUND).strip()
    if (error.get("Code") != "ResourceNotFoundException" or not message.startswith(_NOT_FOUND)
            or not arn.startswith("arn:") or arn.count(":") != _UNQUALIFIED_COLONS):
        return error
    return {**error, "Message": f"{_NOT_FOUND}{arn}:{qualifier or '$LATEST'}"}


def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {"FunctionName": request.function, "Payload": request.payload.encode(),
                              "InvocationType": request.invocation_type}
    if request.qualifier:
        params["Qualifier"] = request.qualifier
    if request.log_type:
        params["LogType"] = request.log_type
    if request.client_context:
        params["ClientContext"] = request.client_context
    return params


def invoke_output(payload: Any, version: str, request_id: str, status: int = 200,
                  log_result: str | None = None) -> dict[str, Any]:
    """The result of ``lambda:invoke`` for a Python function run here, shaped as Invoke's response."""
    headers = {"Connection": "keep-alive", "Content-Type": "application/json",
               "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
               "X-Amz-Executed-Version": version, "x-amzn-Remapped-Content-Length": "0",
               "x-amzn-RequestId": request_id}
    if log_result is not None:
        headers["X-Amz-Log-Result"] = log_result
    output = {"ExecutedVersion": version, "Payload": payload, "StatusCode": status,
              **metadata.http_metadata(headers, status, request_id)}
    if log_result is not None:
        output["LogResult"] = log_result
    return output
