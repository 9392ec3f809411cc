"""TestState: evaluate one state once, with its data-flow stages, without an execution.

A Task (and a Map or Parallel) does not call anything here: its result comes from the mock
(``result`` or ``errorOutput``). An error goes through the state's Retry (RETRIABLE while attempts
remain) and Catch (CAUGHT_ERROR, with the catcher's output and next state), else FAILED.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stepforge.asl import errors
from stepforge.asl.compilation import states as st
from stepforge.asl.errors import StatesError
from stepforge.asl.execution import flow
from stepforge.asl.execution.interpreter import _first_match, _matches
from stepforge.asl.query.dataflow import apply_template, place_result, select, to_json
from stepforge.asl.scope import Scope


@dataclass(slots=True)
class Mock:
    """What a Task, Map or Parallel returns under test: a result, or an error."""

    result: Any = None
    error: str | None = None
    cause: str | None = None


@dataclass(slots=True)
class Outcome:
    """TestState's answer: status, output or error, next state, and the stages (inspection data)."""

    status: str = "SUCCEEDED"
    output: Any = None
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    stages: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)


def test_state(state: st.State, scope: Scope, mock: Mock | None, retry_count: int = 0) -> Outcome:
    """Run ``state`` once on ``scope``."""
    outcome = Outcome(variables=dict(scope.variables))
    outcome.stages["input"] = scope.input
    try:
        _run(state, scope, mock, outcome)
    except StatesError as exc:
        _error(state, scope, exc.error, exc.cause, outcome, retry_count)
    return outcome


def _run(state: st.State, scope: Scope, mock: Mock | None, outcome: Outcome) -> None:
    if isinstance(state, st.ChoiceState):
        target, output, assigned = flow.choose(state, scope)
        if target is None:
            raise StatesError(errors.NO_CHOICE_MATCHED, f"No Matches! at Choice state '{state.name}'")
        _done(outcome, output, assigned, target)
    elif isinstance(state, st.FailState):
        error, cause = flow.fail_fields(state, scope)
        outcome.status, outcome.error, outcome.cause = "FAILED", _text(error), _text(cause)
    elif isinstance(state, (st.WaitState, st.SucceedState)):
        output, assigned = flow.pass_through(state, scope)
        _done(outcome, output, assigned, state.next)
    elif isinstance(state, st.ResultState):
        _result_state(state, scope, mock, outcome)


def _result_state(state: st.ResultState, scope: Scope, mock: Mock | None, outcome: Outcome) -> None:
    if not state.jsonata:
        effective = select(state.input_path, scope)
        outcome.stages["afterInputPath"] = effective
        outcome.stages["afterParameters"] = apply_template(state.parameters, scope.with_input(effective))
    else:
        outcome.stages["afterArguments"] = flow.arguments(state, scope)
    if isinstance(state, st.PassState):
        result = flow.pass_result(state, scope)
    elif mock is None:
        raise StatesError(errors.RUNTIME, f"TestState needs a mock to test a {state.type} state here", located=False)
    elif mock.error is not None:
        raise StatesError(mock.error, mock.cause, located=False)
    else:
        result = mock.result
    outcome.stages["result"] = result
    if not state.jsonata:
        selected = apply_template(state.result_selector, scope.with_input(result))
        outcome.stages["afterResultSelector"] = selected
        outcome.stages["afterResultPath"] = place_result(scope.input, selected, state.result_path,
                                                         state.discard_result)
    output, assigned = flow.finish(state, scope, result)
    _done(outcome, output, assigned, state.next)


def _done(outcome: Outcome, output: Any, assigned: dict[str, Any] | None, next_state: str | None) -> None:
    outcome.output = output
    outcome.next_state = next_state
    if assigned:
        outcome.variables.update(assigned)


def _error(state: st.State, scope: Scope, error: str, cause: str | None, outcome: Outcome,
           retry_count: int) -> None:
    outcome.error, outcome.cause, outcome.status = error, cause, "FAILED"
    if not isinstance(state, st.RecoverableState):
        return
    for retrier in state.retry:
        if _matches(retrier.error_equals, error):
            if retry_count < retrier.max_attempts:
                outcome.status = "RETRIABLE"
                outcome.stages["errorDetails"] = {"retryIndex": state.retry.index(retrier), "retryBackoffIntervalSeconds":
                                                  int(retrier.delay(retry_count, 0.0))}
                return
            break
    catcher = _first_match(state.catch, error)
    if catcher is not None:
        output, assigned = flow.caught(state, catcher, scope, {"Error": error, "Cause": cause})
        outcome.status, outcome.output, outcome.next_state = "CAUGHT_ERROR", output, catcher.next
        outcome.stages["errorDetails"] = {"catchIndex": state.catch.index(catcher)}
        if assigned:
            outcome.variables.update(assigned)


def _text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else to_json(value)
