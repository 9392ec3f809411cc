"""Lambda functions: the ``arn:aws:lambda:...:function:NAME`` resource and ``lambda:invoke``.

A function registered here (a Python function) runs on the runner; any other is invoked through
the configured endpoint's Lambda API (:mod:`stepforge.tasks.aws.lambda_api`); with neither, the task
fails with ``Lambda.ResourceNotFoundException``, as Lambda answers for a function that does not exist.
The legacy ARN form hands the function's result to the state as it is; the optimized integration
(``arn:aws:states:::lambda:invoke``, Parameters ``FunctionName``, ``Payload``, ``Qualifier``,
``InvocationType``, ``LogType``, ``ClientContext``) wraps it as Lambda's Invoke response:
``{ExecutedVersion, Payload, StatusCode, ...}``. A string ``Payload`` is sent as it is, anything
else as its JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stepforge.tasks import lambdas, resources
from stepforge.tasks.aws import lambda_api
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.functions import Function
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
    function: str = ""         # the function as the task names it (name or ARN), for the Lambda API
    label: str = ""            # the task as a data-limit error names it
    log_type: str | None = None
    client_context: str | None = None

    def request(self) -> lambda_api.Request:
        return lambda_api.Request(self.function or self.name, self.event_json, self.wrapped, self.label,
                                  self.qualifier, "Event" if self.asynchronous else "RequestResponse",
                                  self.log_type, self.client_context)


def invocation(target: Target, value: Any, input_json: str, resource: str = "") -> Invocation | Outcome:
    """What a task's resource and effective input ask to call, or the error that stops it."""
    if target.kind == "lambda":
        return Invocation(target.function, target.qualifier, input_json, wrapped=False, function=resource,
                          label=resource)
    if not isinstance(value, dict) or not isinstance(value.get("FunctionName"), str):
        return Outcome(error="States.Runtime", cause="The field 'FunctionName' is required by lambda:invoke.")
    named = resources.function_name(value["FunctionName"])
    if named is None:
        return Outcome(error="Lambda.InvalidParameterValueException",
                       cause=f"Invalid function name: {value['FunctionName']}")
    name, qualifier = named
    return Invocation(name, value.get("Qualifier") or qualifier, _payload(value.get("Payload")), wrapped=True,
                      asynchronous=value.get("InvocationType") == "Event", function=value["FunctionName"],
                      label=target.service, log_type=_text(value.get("LogType")),
                      client_context=_text(value.get("ClientContext")))


class Functions:
    """Starts function calls on a runner and shapes their outcome."""

    def __init__(self, config: TaskConfig, runner: Runner) -> None:
        self.config = config
        self.runner = runner

    def start(self, target: Target, value: Any, input_json: str, deliver: Deliver, resource: str = "") -> None:
        call = invocation(target, value, input_json, resource)
        if isinstance(call, Outcome):
            deliver(call)
            return
        function = self.config.functions.get(call.name)
        endpoint = self.config.endpoint_for("lambda")
        if function is not None:
            self._run_here(call, function, deliver)
        elif endpoint:
            self.runner.run(lambda_api.invoke, call.request(), endpoint, self.config.region, deliver=deliver)
        else:
            arn = resources.function_arn(call.name, call.qualifier or "$LATEST", self.config.region,
                                         self.config.account)
            deliver(lambdas.not_found(arn, lambdas.new_request_id()))

    def _run_here(self, call: Invocation, function: Function, deliver: Deliver) -> None:
        timeout = function.timeout
        request_id = lambdas.new_request_id()
        arn = resources.function_arn(call.name, call.qualifier, self.config.region, self.config.account)
        version = call.qualifier if call.qualifier and call.qualifier != "$LATEST" else "$LATEST"
        context = LambdaContext(call.name, version, arn, request_id, timeout)
        shaped = _finishing(deliver, call, version, request_id)
        if call.asynchronous:
            deliver(Outcome(output=lambda_api.invoke_output("", version, request_id, 202)))
            shaped = _ignore
        isolated = (function.isolation or self.config.isolation) == "process" and bool(function.target)
        work, handler = ((lambdas.call_target, function.target) if isolated
                         else (lambdas.call, function.handler))
        self.runner.run(work, handler, call.event_json, context, deliver=shaped, timeout=timeout,
                        expired=lambda: lambdas.timed_out(request_id, timeout), isolated=isolated)


def _finishing(deliver: Deliver, call: Invocation, version: str, request_id: str) -> Deliver:
    def finish(raw: Outcome) -> None:
        outcome = lambdas.finish(raw, call.wrapped, call.label)
        if outcome.failed or not call.wrapped:
            deliver(outcome)
            return
        log = lambdas.log_tail(request_id, version) if call.log_type == "Tail" else None
        deliver(Outcome(output=lambda_api.invoke_output(outcome.output, version, request_id, log_result=log)))
    return finish


def _payload(value: Any) -> str:
    if value is None:
        return "{}"
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ignore(outcome: Outcome) -> None:
    """An asynchronous invocation's result goes nowhere, as with Lambda's ``Event`` invocations."""
