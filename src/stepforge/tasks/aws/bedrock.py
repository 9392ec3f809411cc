"""``arn:aws:states:::bedrock:invokeModel``: Bedrock Runtime's InvokeModel with Step Functions' own fields.

As AWS documents the optimized integration: ``ModelId`` and the API's other members (``ContentType``,
``Accept``, ``Trace``, ``GuardrailIdentifier``, ...), plus

- ``Body``: the model's input, a JSON value (sent as its JSON text) or a string (sent as written);
- ``Input.S3Uri``: the input read from S3 instead (its object's content type unless ``ContentType`` is
  given); ``Body`` and ``Input`` exclude each other, and one of them is required;
- ``Output.S3Uri``: the model's answer written to S3, the result's ``Body`` then naming it
  (``{"S3Uri": ...}``) instead of holding it.

The result is ``{"Body": ..., "ContentType": ...}`` with a JSON body parsed, as Step Functions parses it
(so ``$.Body.results[0].outputText`` reaches into it). Bedrock Runtime is reached at the pass-through's
``bedrock-runtime`` endpoint, S3 at its ``s3`` endpoint. ``createModelCustomizationJob`` (and its
``.sync``, :mod:`stepforge.tasks.aws.sync`) is Bedrock's own API through the pass-through.
"""

from __future__ import annotations

import json
from typing import Any

from stepforge.tasks.aws import clients, sync
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.lambdas import MAX_RESULT, Outcome
from stepforge.tasks.resources import Target

#: What Bedrock Runtime's calls are made to (its boto3 client and error names).
RUNTIME = Target("task", "bedrock-runtime", "invokeModel")


def invoke_model(value: Any, config: TaskConfig, runtime: sync.Call) -> Outcome:
    """Invoke the model ``value`` (the task's effective Parameters) names, with ``runtime`` (Bedrock Runtime's
    calls); S3 is reached at the pass-through's ``s3`` endpoint."""
    params = dict(value) if isinstance(value, dict) else {}
    given = [name for name in ("Body", "Input") if params.get(name) is not None]
    if len(given) != 1:
        return Outcome(error="States.Runtime", cause=(
            "bedrock:invokeModel takes exactly one of 'Body' and 'Input'" + (f", not {' and '.join(given)}."
                                                                            if given else ".")))
    output_uri = (params.pop("Output", None) or {}).get("S3Uri")
    source = params.pop("Input", None)
    try:
        if source is not None:
            params["Body"], content_type = _read(config, str(source.get("S3Uri") or ""))
            params.setdefault("ContentType", content_type)
        elif not isinstance(params["Body"], str):
            params["Body"] = json.dumps(params["Body"], separators=(",", ":"), ensure_ascii=False)
        answer = runtime("InvokeModel", params)
        if answer.failed:
            return Outcome(error=str(answer.error).replace("BedrockRuntime.", "Bedrock.", 1), cause=answer.cause)
        result = answer.output
        if output_uri:
            _write(config, str(output_uri), str(result.get("Body") or ""), result.get("ContentType"))
            return Outcome(output={**result, "Body": {"S3Uri": output_uri}})
        return _within_limit({**result, "Body": _parsed(result.get("Body"), result.get("ContentType"))})
    except _S3Error as exc:
        return Outcome(error="Bedrock.S3Exception", cause=str(exc))


def _within_limit(output: dict[str, Any]) -> Outcome:
    if len(json.dumps(output, separators=(",", ":")).encode()) > MAX_RESULT:
        return Outcome(error="States.DataLimitExceeded", cause=(
            "The state/task 'bedrock' returned a result with a size exceeding the maximum number of bytes service "
            "limit; write the answer to S3 with 'Output'."))
    return Outcome(output=output)


class _S3Error(Exception):
    """An S3 object that could not be read or written; the message says which and why."""


def _location(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise _S3Error(f"'{uri}' is no S3 URI (s3://bucket/key).")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def _s3(config: TaskConfig) -> Any:
    endpoint = config.endpoint_for("s3")
    if not endpoint:
        raise _S3Error("S3 cannot be reached by this stepforge server: set [passthrough] endpoint_url.")
    return clients.client("s3", endpoint, config.region)


def _read(config: TaskConfig, uri: str) -> tuple[bytes, str]:
    import botocore.exceptions  # type: ignore[import-untyped]

    bucket, key = _location(uri)
    try:
        found = _s3(config).get_object(Bucket=bucket, Key=key)
        return found["Body"].read(), str(found.get("ContentType") or "application/json")
    except botocore.exceptions.ClientError as exc:
        raise _S3Error(f"The input {uri} cannot be read: {exc}") from None


def _write(config: TaskConfig, uri: str, body: str, content_type: Any) -> None:
    import botocore.exceptions

    bucket, key = _location(uri)
    try:
        _s3(config).put_object(Bucket=bucket, Key=key, Body=body.encode(),
                               ContentType=str(content_type or "application/json"))
    except botocore.exceptions.ClientError as exc:
        raise _S3Error(f"The output {uri} cannot be written: {exc}") from None


def _parsed(body: Any, content_type: Any) -> Any:
    """A JSON answer as its value; any other as the text it is."""
    if not isinstance(body, str) or "json" not in str(content_type or "application/json"):
        return body
    try:
        return json.loads(body)
    except ValueError:
        return body
