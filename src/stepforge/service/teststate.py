"""TestState: one state, its input, variables and context, mocked results; AWS's inspection data."""

from __future__ import annotations

import json
import random
from typing import Any

from stepforge.asl.execution.interpreter import iso
from stepforge.asl.execution.teststate import Mock, Outcome
from stepforge.asl.execution.teststate import test_state as run_test
from stepforge.asl.query.dataflow import to_json
from stepforge.asl.scope import Scope
from stepforge.service.context import Request, ServiceContext
from stepforge.service.definitions import checked_machine
from stepforge.service.errors import InvalidDefinition, InvalidExecutionInput, ValidationException
from stepforge.service.params import optional_str, required_str, strict_json

_TEST_STATE = "TestState"


def test_state(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    params = req.params
    document = _json(required_str(params, "definition"), "definition", InvalidDefinition)
    name = optional_str(params, "stateName")
    machine_text, name = _machine(document, name)
    state = checked_machine(machine_text).states[name]
    value = _json(optional_str(params, "input") or "{}", "input", InvalidExecutionInput)
    variables = _json(optional_str(params, "variables") or "{}", "variables", ValidationException)
    context = _json(optional_str(params, "context") or "{}", "context", ValidationException)
    context = {**_default_context(ctx, name), **context}
    config = params.get("stateConfiguration") or {}
    retry_count = int(config.get("retrierRetryCount", 0)) if isinstance(config, dict) else 0
    scope = Scope(value, context, variables, random.Random())
    outcome = run_test(state, scope, _mock(params.get("mock")), retry_count)
    return _shape(outcome, optional_str(params, "inspectionLevel") or "INFO")


def _json(text: str, key: str, error: type[Exception]) -> Any:
    try:
        return strict_json(text)
    except ValueError as exc:
        raise error(f"Invalid {key}: '{exc}'") from None


def _machine(document: Any, name: str | None) -> tuple[str, str]:
    """A machine holding the state under test, with stand-ins for the states it may go to."""
    if not isinstance(document, dict):
        raise InvalidDefinition("Invalid State Machine Definition: 'the definition must be a JSON object'")
    if name is not None or "States" in document:
        states = document.get("States") or {}
        name = name or str(document.get("StartAt"))
        if name not in states:
            raise ValidationException(f"State '{name}' does not exist in the definition")
        return json.dumps({**document, "StartAt": name}), name
    targets = {document.get("Next"), document.get("Default")}
    targets |= {c.get("Next") for key in ("Choices", "Catch") for c in document.get(key) or [] if isinstance(c, dict)}
    stand_ins: dict[str, Any] = {str(t): {"Type": "Succeed"} for t in targets if isinstance(t, str)}
    stand_ins[_TEST_STATE] = document
    machine: dict[str, Any] = {"StartAt": _TEST_STATE, "States": stand_ins}
    if "QueryLanguage" in document:
        machine["QueryLanguage"] = document["QueryLanguage"]
    return json.dumps(machine), _TEST_STATE


def _default_context(ctx: ServiceContext, name: str) -> dict[str, Any]:
    now = iso(ctx.engine.clock.now())
    return {"Execution": {"Id": "", "Input": {}, "Name": "TestState", "StartTime": now},
            "State": {"Name": name, "EnteredTime": now, "RetryCount": 0}, "StateMachine": {}}


def _mock(value: Any) -> Mock | None:
    if not isinstance(value, dict):
        return None
    if "errorOutput" in value:
        error = value["errorOutput"] or {}
        return Mock(error=error.get("error") or "", cause=error.get("cause"))
    if "result" in value:
        return Mock(result=_json(value["result"], "mock result", ValidationException))
    raise ValidationException("A mock must have a result or an errorOutput")


def _shape(outcome: Outcome, level: str) -> dict[str, Any]:
    response: dict[str, Any] = {"status": outcome.status}
    if outcome.status in ("SUCCEEDED", "CAUGHT_ERROR"):
        response["output"] = to_json(outcome.output)
    if outcome.next_state is not None and outcome.status != "FAILED":
        response["nextState"] = outcome.next_state
    for key in ("error", "cause"):
        if getattr(outcome, key) is not None and outcome.status != "SUCCEEDED":
            response[key] = getattr(outcome, key)
    if level in ("DEBUG", "TRACE"):
        data = {k: v if k == "errorDetails" else to_json(v) for k, v in outcome.stages.items()}
        data["variables"] = to_json(outcome.variables)
        response["inspectionData"] = data
    return response
