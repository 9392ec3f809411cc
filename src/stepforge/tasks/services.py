"""Service integrations other than Lambda and child executions: the HTTP Task and the AWS pass-through.

``arn:aws:states:::http:invoke`` calls an HTTP API with httpx (see :mod:`stepforge.tasks.http`).
``aws-sdk:SERVICE:ACTION`` and the other optimized integrations (SQS, SNS, DynamoDB, ...) reach a
configured AWS-compatible endpoint through boto3 when the operator sets ``[passthrough]
endpoint_url``; without it they fail with a States.Runtime error that names the setting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepforge.asl import errors
from stepforge.asl.errors import StatesError
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import Target
from stepforge.tasks.runner import Runner

Deliver = Callable[[Outcome], None]

_OWN = {("lambda", "invoke"), ("http", "invoke"), ("states", "startExecution")}


class Services:
    """Checks and starts HTTP and pass-through tasks on the runner's threads."""

    def __init__(self, config: TaskConfig, runner: Runner) -> None:
        self.config = config
        self.runner = runner

    def check(self, target: Target, resource: str) -> None:
        """Raise the StatesError a state fails with when ``resource`` cannot be reached here."""
        if (target.service, target.action) in _OWN or self.config.endpoint_url:
            return
        raise StatesError(errors.RUNTIME, (
            f"The resource '{resource}' is not supported by this stepforge server: the AWS pass-through "
            "is off. Set [passthrough] endpoint_url in the --config file to call an AWS-compatible "
            "endpoint, or mock this state (MockConfigFile)."))

    def start(self, target: Target, resource: str, value: Any, deliver: Deliver) -> None:
        if (target.service, target.action) == ("http", "invoke"):
            from stepforge.tasks import http as http_task

            self.runner.run(http_task.invoke, value, self.config.http, deliver=deliver,
                            timeout=self.config.http.timeout + 5,
                            expired=lambda: Outcome(error="States.Http.Socket", cause="The request timed out."))
            return
        from stepforge.tasks import passthrough

        endpoint = self.config.endpoint_url or ""
        self.runner.run(passthrough.call, target, value, endpoint, self.config.region, deliver=deliver)
