"""The AWS pass-through: ``aws-sdk:SERVICE:ACTION`` and optimized integrations, called with boto3.

Parameters are the API's own (``Bucket``, ``QueueUrl``, ...), as in AWS; a JSON object or array
given where the API takes a string (``MessageBody``, ``Message``, ``Detail``, ``Input``) is sent as
its JSON text, as Step Functions does. The result is the API's response without
``ResponseMetadata``, timestamps as ISO-8601 text (over 256 KiB: ``States.DataLimitExceeded``); optimized integrations add ``SdkHttpMetadata``
and ``SdkResponseMetadata`` (see :mod:`stepforge.tasks.aws.metadata`). Service errors are named as
Step Functions names them (see :mod:`stepforge.tasks.aws.errors`). ``.sync`` on a job service
(Glue, Athena, Batch, ECS, CodeBuild, DataBrew, EMR Serverless, SageMaker) waits for the job's end
(:mod:`stepforge.tasks.aws.sync`).
"""

from __future__ import annotations

import json
from typing import Any

from stepforge.tasks.aws import clients, errors, metadata, sync
from stepforge.tasks.aws.shapes import plain, to_model
from stepforge.tasks.lambdas import MAX_RESULT, Outcome
from stepforge.tasks.resources import SYNC, SYNC2, Target

_CLIENT_NAMES = {"eventbridge": "events", "sfn": "stepfunctions", "states": "stepfunctions",
                 "elasticmapreduce": "emr"}


def client_name(target: Target) -> str:
    """boto3's name of the service a target calls ("sqs", "stepfunctions", ...)."""
    service = target.service.removeprefix("aws-sdk:")
    if (service, target.action) == ("bedrock", "invokeModel"):
        return "bedrock-runtime"  # the optimized integration's one Bedrock Runtime action
    return _CLIENT_NAMES.get(service, service)


class Api:
    """One service at one endpoint; :meth:`call` answers with the result or the task's error."""

    def __init__(self, target: Target, endpoint_url: str, region: str) -> None:
        self.target = target
        self.optimized = not target.service.startswith("aws-sdk:")
        self.service = target.service.removeprefix("aws-sdk:")
        self.client = clients.client(client_name(target), endpoint_url, region)
        self.model = self.client.meta.service_model

    def call(self, action: str, value: Any) -> Outcome:
        """Call ``action`` (``sendMessage`` or ``SendMessage``) with Step Functions-shaped parameters."""
        import botocore.exceptions  # type: ignore[import-untyped]
        from botocore import xform_name

        try:
            operation = self.model.operation_model(action[:1].upper() + action[1:])
        except botocore.exceptions.OperationNotFoundError as exc:
            return Outcome(error="States.Runtime", cause=f"{self.service} has no action {action!r}: {exc}")
        params = to_model(value if isinstance(value, dict) else {}, operation.input_shape)
        try:
            response = getattr(self.client, xform_name(operation.name))(**params)
        except botocore.exceptions.ClientError as exc:
            error, meta = exc.response.get("Error", {}), exc.response.get("ResponseMetadata", {})
            if self.optimized:
                return errors.optimized(self.service, self.model, error, meta)
            return errors.sdk(self.model, error, meta)
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError) as exc:
            return errors.unreachable(self.service, self.model, self.optimized, exc, clients.MAX_ATTEMPTS)
        except (botocore.exceptions.BotoCoreError, AttributeError, TypeError, ValueError) as exc:
            return Outcome(error="States.TaskFailed", cause=f"{type(exc).__name__}: {exc}")
        meta = response.pop("ResponseMetadata", {})
        return Outcome(output={"result": plain(response, operation.output_shape), "meta": meta})


def call(target: Target, value: Any, endpoint_url: str, region: str, waiting: sync.Waiting | None = None) -> Outcome:
    """One API call against ``endpoint_url`` (for ``.sync`` on a job service: until the job ends)."""
    api = Api(target, endpoint_url, region)
    answer = api.call(target.action, value)
    if answer.failed:
        return answer
    job = sync.JOBS.get((api.service, target.action)) if api.optimized and target.pattern in (SYNC, SYNC2) else None
    if job is not None:
        return sync.wait(job, lambda action, params: _result(api, api.call(action, params)), value,
                         answer.output["result"], waiting or sync.Waiting())
    return _result(api, answer)


def _result(api: Api, answer: Outcome) -> Outcome:
    """An answer as the task's result (or the failure an optimized integration reports in it)."""
    if answer.failed:
        return answer
    output, meta = answer.output["result"], answer.output["meta"]
    if len(_compact(output).encode()) > MAX_RESULT:
        return Outcome(error="States.DataLimitExceeded", cause=(
            f"The state/task '{api.target.service}' returned a result with a size exceeding the maximum number "
            "of bytes service limit."))
    if api.optimized and api.service == "events" and output.get("FailedEntryCount"):
        return Outcome(error="EventBridge.FailedEntry", cause=_compact(output))
    if api.optimized and api.service in metadata.WITH_METADATA:
        output.update(metadata.from_response(meta))
    return Outcome(output=output)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
