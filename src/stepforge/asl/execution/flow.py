"""The data-flow stages of a state in either query language, written once per stage.

Each function takes a compiled state and the values it needs, branches once on the state's query
language, and returns new values: the JSONPath side delegates to :mod:`stepforge.asl.query.dataflow`
(InputPath, Parameters, ResultSelector, ResultPath, OutputPath), the JSONata side evaluates
``Arguments``/``Output`` with ``$states``. Stages that end a state also evaluate its ``Assign``
and return the new variables beside the output; the interpreter applies them on exit, so every
expression of a state sees the variables as they were when it was entered.
"""

from __future__ import annotations

from typing import Any

from stepforge.asl import errors
from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.choice import ChoiceRule, first_match
from stepforge.asl.compilation.variables import Assign
from stepforge.asl.errors import StatesError
from stepforge.asl.query.budget import Budget
from stepforge.asl.query.dataflow import apply_template, field_value, place_result, select, select_in, to_json
from stepforge.asl.query.fields import Query
from stepforge.asl.scope import Scope

Assigned = dict[str, Any] | None
Exit = tuple[Any, Assigned]


def _assign(assign: Assign | None, scope: Scope, states: dict[str, Any] | None = None) -> Assigned:
    return None if assign is None else assign.evaluate(scope, states)


def _output(query: Query | None, scope: Scope, default: Any, states: dict[str, Any] | None = None) -> Any:
    return default if query is None else query.evaluate(scope, "Output", states, Budget.for_output(scope))


def effective_input(state: st.State, scope: Scope) -> Any:
    """InputPath applied (JSONPath); the state input itself (JSONata)."""
    return scope.input if state.jsonata else select(state.input_path, scope)


def arguments(state: st.ResultState, scope: Scope) -> Any:
    """The input a Task, Parallel branch or Pass works on: Parameters or Arguments."""
    if state.jsonata:
        return scope.input if state.arguments is None else state.arguments.evaluate(
            scope, "Arguments", budget=Budget(state.name))
    return apply_template(state.parameters, scope.with_input(select(state.input_path, scope)))


def pass_result(state: st.PassState, scope: Scope) -> Any:
    if state.has_result:
        return state.result
    return scope.input if state.jsonata else arguments(state, scope)


def finish(state: st.State, scope: Scope, result: Any) -> Exit:
    """A state's result -> (output, new variables). ``scope.input`` is the raw state input."""
    if state.jsonata:
        states = {"result": result}
        return _output(state.output, scope, result, states), _assign(state.assign, scope, states)
    assert isinstance(state, st.ResultState)
    selector = state.result_selector
    selected = result if selector is None else apply_template(selector, scope.with_input(result))
    assigned = None if state.assign is None else state.assign.evaluate(scope.with_input(selected), None)
    placed = place_result(scope.input, selected, state.result_path, state.discard_result)
    return select_in(state.output_path, placed, scope), assigned


def pass_through(state: st.State, scope: Scope) -> Exit:
    """Wait and Succeed: the (effective) input goes out; Assign sees it as ``$``."""
    if state.jsonata:
        return _output(state.output, scope, scope.input), _assign(state.assign, scope)
    effective = scope.with_input(select(state.input_path, scope))
    return select(state.output_path, effective), _assign(state.assign, effective)


def choose(state: st.ChoiceState, scope: Scope) -> tuple[str | None, Any, Assigned]:
    """(next state or None, output, new variables): a matched rule's Assign/Output, else the state's."""
    effective = scope if state.jsonata else scope.with_input(select(state.input_path, scope))
    rule: ChoiceRule | None = first_match(state.choices, effective)
    target = rule.next if rule is not None else state.default
    assign = rule.assign if rule is not None else state.assign
    if state.jsonata:
        output_query = rule.output if rule is not None and rule.output is not None else state.output
        return target, _output(output_query, scope, scope.input), _assign(assign, scope)
    return target, select(state.output_path, effective), _assign(assign, effective)


def fail_fields(state: st.FailState, scope: Scope) -> tuple[Any, Any]:
    if state.jsonata:
        error = state.error if state.error_query is None else state.error_query.evaluate(scope, "Error")
        cause = state.cause if state.cause_query is None else state.cause_query.evaluate(scope, "Cause")
        return error, cause
    error = state.error if state.error_path is None else field_value(state.error_path, scope, "ErrorPath")
    cause = state.cause if state.cause_path is None else field_value(state.cause_path, scope, "CausePath")
    return error, cause


def map_items(state: st.MapState, scope: Scope) -> tuple[list[Any], Any]:
    """(items, the input ItemSelector sees) for a Map state."""
    if state.jsonata:
        items = scope.input if state.items is None else state.items.typed(scope, "Items", "array")
        effective = scope.input
    else:
        effective = select(state.input_path, scope)
        items = select(state.items_path, scope.with_input(effective))
    if not isinstance(items, list):
        raise StatesError(errors.RUNTIME, f"Map state input must be an array but was: {to_json(items)}")
    return items, effective


def item_input(state: st.MapState, scope: Scope, item: Any) -> Any:
    """One iteration's input: ItemSelector (with ``$$.Map.Item`` in the context) or the item."""
    if state.jsonata:
        return item if state.selector_query is None else state.selector_query.evaluate(
            scope, "ItemSelector", budget=Budget(state.name))
    return item if state.item_selector is None else state.item_selector.evaluate(scope, Budget(state.name))


def caught(state: st.State, catcher: st.Catcher, scope: Scope, error_output: dict[str, Any]) -> Exit:
    """A Catcher's (output, new variables) for the error output ``{"Error", "Cause"}``."""
    if state.jsonata:
        states = {"errorOutput": error_output}
        return _output(catcher.output, scope, error_output, states), _assign(catcher.assign, scope, states)
    assigned = _assign(catcher.assign, scope.with_input(error_output))
    return place_result(scope.input, error_output, catcher.result_path, catcher.result_path is None), assigned
