"""Whether this server can reach a Task resource with its task configuration, as the dispatcher would.

Activities, child executions (``states:startExecution``), HTTP Tasks, ``apigateway:invoke``, ``eks:call``,
``eks:runJob`` and mocks need no configuration.
A Lambda function ARN needs its function registered here or a Lambda endpoint; ``lambda:invoke``
(whose function is named in its arguments) any registered function or a Lambda endpoint; every
other integration and ``aws-sdk:*`` call a pass-through endpoint for its service. The validator uses
the answer for its WARNINGs (``stepforge.asl.validation.reachability``).
"""

from __future__ import annotations

from stepforge.tasks import passthrough, resources
from stepforge.tasks.config import TaskConfig

_HERE = {("states", "startExecution"), ("http", "invoke"), ("apigateway", "invoke"), ("eks", "call"),
         ("eks", "runJob")}


def reaches(config: TaskConfig, resource: str) -> bool:
    """Can a task with this static ``resource`` run here? True for a resource stepforge cannot read
    (the validator reports those itself)."""
    target = resources.parse(resource)
    if target is None or target.kind == "activity" or config.mocks:
        return True
    if target.service == "lambda":
        if config.endpoint_for("lambda"):
            return True
        return config.functions.get(target.function) is not None if target.function else len(config.functions) > 0
    if (target.service, target.action) in _HERE:
        return True
    return bool(config.endpoint_for(passthrough.client_name(target)))
