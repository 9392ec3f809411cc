"""Python functions as Lambda: the ``arn:aws:lambda:...:function:NAME`` resource and ``lambda:invoke``.

The legacy ARN form hands the function's result to the state as it is; the optimized integration
(``arn:aws:states:::lambda:invoke``, Parameters ``FunctionName``, ``Payload``, ``Qualifier``,
``InvocationType``) wraps it as Lambda's Invoke response: ``{ExecutedVersion, Payload, StatusCode, ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stepforge.tasks import lambdas, resources
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.lambdas import LambdaContext, Outcome
from stepforge.tasks.resources import Target
from stepforge.tasks.runner import Runner

Deliver = Callable[[Outcome], None]


@dataclass(frozen=True, slots=True)
class Invocation:
    """One call to make: which function, with what event, and how to shape its result."""

    name: str
    qualifier: str | None
    event_json: str
    wrapped: bool              # the lambda:invoke integration: wrap as Invoke's response
    asynchronous: bool = False  # InvocationType "Event"


def invocation(target: Target, value: Any, input_json: str) -> Invocation | Outcome:
    """What a task's resource and effective input ask to call, or the error that stops it."""
    if target.kind == "lambda":
        return Invocation(target.function, target.qualifier, input_json, wrapped=False)
    if not isinstance(value, dict) or not isinstance(value.get("FunctionName"), str):
        return Outcome(error="States.Runtime", cause="The field 'FunctionName' is required by lambda:invoke.")
    named = resources.function_name(value["FunctionName"])
    if named is None:
        return Outcome(error="Lambda.InvalidParameterValueException",
                       cause=f"Invalid function name: {value['FunctionName']}")
    name, qualifier = named
    qualifier = value.get("Qualifier") or qualifier
    event_json = json.dumps(value.get("Payload", {}))
    return Invocation(name, qualifier, event_json, wrapped=True,
                      asynchronous=value.get("InvocationType") == "Event")


class Functions:
    """Starts function calls on a runner and shapes their outcome."""

    def __init__(self, config: TaskConfig, runner: Runner) -> None:
        self.config = config
        self.runner = runner

    def start(self, target: Target, value: Any, input_json: str, deliver: Deliver) -> None:
        call = invocation(target, value, input_json)
        if isinstance(call, Outcome):
            deliver(call)
            return
        request_id = lambdas.new_request_id()
        function = self.config.functions.get(call.name)
        arn = resources.function_arn(call.name, call.qualifier, self.config.region, self.config.account)
        if function is None:
            deliver(lambdas.not_found(arn, request_id))
            return
        version = call.qualifier if call.qualifier and call.qualifier != "$LATEST" else "$LATEST"
        context = LambdaContext(call.name, version, arn, request_id, function.timeout)
        shaped = deliver if not call.wrapped else _wrapping(deliver, version, request_id)
        if call.asynchronous:
            deliver(Outcome(output=lambdas.invoke_output("", version, request_id, 202)))
            shaped = _ignore
        isolated = (function.isolation or self.config.isolation) == "process" and bool(function.target)
        work, handler = ((lambdas.call_target, function.target) if isolated
                         else (lambdas.call, function.handler))
        self.runner.run(work, handler, call.event_json, context, deliver=shaped, timeout=function.timeout,
                        expired=lambda: lambdas.timed_out(request_id, function.timeout), isolated=isolated)


def _wrapping(deliver: Deliver, version: str, request_id: str) -> Deliver:
    def wrap(outcome: Outcome) -> None:
        if outcome.failed:
            deliver(outcome)
        else:
            deliver(Outcome(output=lambdas.invoke_output(outcome.output, version, request_id)))
    return wrap


def _ignore(outcome: Outcome) -> None:
    """An asynchronous invocation's result goes nowhere, as with Lambda's ``Event`` invocations."""
