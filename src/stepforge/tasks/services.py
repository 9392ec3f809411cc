"""Service integrations other than Lambda and child executions: the HTTP Task and the AWS pass-through.

``arn:aws:states:::http:invoke`` calls an HTTP API with httpx (see :mod:`stepforge.tasks.http`), as
``apigateway:invoke`` calls an API Gateway endpoint (:mod:`stepforge.tasks.aws.apigateway`).
Step Functions' reshaped integrations have their own modules: EMR (:mod:`stepforge.tasks.aws.emr`),
Bedrock's ``invokeModel`` (:mod:`stepforge.tasks.aws.bedrock`), EKS's Kubernetes API (``eks:call``,
``eks:runJob``: :mod:`stepforge.tasks.aws.eks`).
``aws-sdk:SERVICE:ACTION`` and the other optimized integrations (SQS, SNS, DynamoDB, ...) reach a
configured AWS-compatible endpoint through boto3 when the operator sets ``[passthrough]
endpoint_url``; without it the task fails as any task does (``States.TaskFailed``, catchable and
retryable, with its events), its cause naming the setting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepforge.tasks import passthrough
from stepforge.tasks.aws import apigateway, bedrock, eks, emr, sync
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import SYNC, SYNC2, Target
from stepforge.tasks.runner import Runner

Deliver = Callable[[Outcome], None]

#: The error of a task whose service this server cannot reach.
UNREACHABLE = "States.TaskFailed"


class Services:
    """Starts HTTP and pass-through tasks on the runner's threads."""

    def __init__(self, config: TaskConfig, runner: Runner) -> None:
        self.config = config
        self.runner = runner

    def start(self, target: Target, resource: str, value: Any, deliver: Deliver,
              still_waiting: Callable[[], bool] = lambda: True) -> None:
        """Start the task's work; ``still_waiting`` tells a ``.sync`` job's poll whether to go on."""
        waiting = sync.Waiting(still_waiting, self.config.poll_seconds, self.runner.closed)
        if self._start_here(target, value, deliver, waiting):
            return
        endpoint = self.config.endpoint_for(passthrough.client_name(target))
        if not endpoint:
            deliver(unreachable(resource))
        elif (target.service, target.action) == ("bedrock", "invokeModel"):
            self.runner.run(_invoke_model, value, self.config, endpoint, deliver=deliver)
        elif target.service == "elasticmapreduce":
            self.runner.run(_emr, target, value, endpoint, self.config.region, waiting, deliver=deliver)
        else:
            self.runner.run(passthrough.call, target, value, endpoint, self.config.region, waiting, deliver=deliver)

    def _start_here(self, target: Target, value: Any, deliver: Deliver, waiting: sync.Waiting) -> bool:
        """Start a task that calls the URL its parameters name (HTTP, API Gateway, a Kubernetes API), if it
        is one; these need no pass-through endpoint, only the HTTP Task's network guard."""
        http, region = self.config.http, self.config.region
        action = (target.service, target.action)
        if action == ("http", "invoke"):
            from stepforge.tasks import http as http_task

            self.runner.run(http_task.invoke, value, http, deliver=deliver, timeout=http.timeout + 5,
                            expired=lambda: Outcome(error="States.Http.Socket", cause="The request timed out."))
        elif action == ("apigateway", "invoke"):
            self.runner.run(apigateway.invoke, value, http, region, deliver=deliver, timeout=http.timeout + 5,
                            expired=lambda: Outcome(error="ApiGateway.TimeoutException", cause="The call timed out."))
        elif action == ("eks", "call"):
            self.runner.run(eks.call, value, http, region, deliver=deliver)
        elif action == ("eks", "runJob"):
            self.runner.run(eks.run_job, value, http, region, waiting if target.pattern in (SYNC, SYNC2) else None,
                            deliver=deliver)
        else:
            return False
        return True


def aws_calls(target: Target, endpoint_url: str, region: str) -> sync.Call:
    """Calls of the operations of ``target``'s service at ``endpoint_url``: (operation, parameters) -> the
    result (PascalCase, plain JSON) or the error Step Functions names."""
    api = passthrough.Api(target, endpoint_url, region)

    def call(operation: str, params: dict[str, Any]) -> Outcome:
        answer = api.call(operation, params)
        return answer if answer.failed else Outcome(output=answer.output["result"])
    return call


def _emr(target: Target, value: Any, endpoint_url: str, region: str, waiting: sync.Waiting) -> Outcome:
    return emr.call(aws_calls(target, endpoint_url, region), target, value, waiting)


def _invoke_model(value: Any, config: TaskConfig, endpoint_url: str) -> Outcome:
    return bedrock.invoke_model(value, config, aws_calls(bedrock.RUNTIME, endpoint_url, config.region))


def unreachable(resource: str) -> Outcome:
    """The failure of a task whose service is not reachable with this server's configuration."""
    return Outcome(error=UNREACHABLE, cause=(
        f"The resource '{resource}' cannot be reached by this stepforge server: the AWS pass-through is off. "
        "Set [passthrough] endpoint_url in the --config file to call an AWS-compatible endpoint, or mock "
        "this state (MockConfigFile)."))
