"""Payload templates: Parameters, ItemSelector, ResultSelector."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from stepforge.asl import errors
from stepforge.asl.errors import DefinitionError, StatesError
from stepforge.asl.query.jsonpath import compile_path
from stepforge.asl.query.payload import Constant, compile_template, evaluate_path_field
from stepforge.asl.scope import Scope

CONTEXT = {"Execution": {"Name": "run-1", "Input": {"k": "v"}}, "Map": {"Item": {"Index": 2, "Value": "z"}}}


def render(template: Any, data: Any, variables: dict[str, Any] | None = None) -> Any:
    scope = Scope(data, CONTEXT, variables or {}, random.Random(1))
    return compile_template(template, "/States/P/Parameters").evaluate(scope)


@pytest.mark.parametrize(
    ("template", "data", "expected"),
    [
        ({"a.$": "$.x"}, {"x": 1}, {"a": 1}),
        ({"whole.$": "$"}, {"x": 1}, {"whole": {"x": 1}}),
        ({"static": "$.x", "n": 1, "nil": None}, {"x": 1}, {"static": "$.x", "n": 1, "nil": None}),
        ({"outer": {"inner.$": "$.x", "k": [1, 2]}}, {"x": "v"}, {"outer": {"inner": "v", "k": [1, 2]}}),
        (
            {"list": [{"a.$": "$.x"}, "lit", [{"b.$": "$.y"}]]},
            {"x": 1, "y": 2},
            {"list": [{"a": 1}, "lit", [{"b": 2}]]},
        ),
        ({"name.$": "$$.Execution.Name", "index.$": "$$.Map.Item.Index"}, {}, {"name": "run-1", "index": 2}),
        ({"in.$": "$$.Execution.Input"}, {}, {"in": {"k": "v"}}),
        ({"v.$": "$limit.max"}, {}, {"v": 3}),
        ({"s.$": "States.Format('{}-{}', $.x, $$.Execution.Name)"}, {"x": 1}, {"s": "1-run-1"}),
        ({"j.$": "States.StringToJson($.t)"}, {"t": '{"a":[1]}'}, {"j": {"a": [1]}}),
        ({"all.$": "$.items[*].id"}, {"items": [{"id": 1}, {"id": 2}]}, {"all": [1, 2]}),
        ({"not.$.suffix": "$.x"}, {"x": 1}, {"not.$.suffix": "$.x"}),
        ({}, {"x": 1}, {}),
        ([1, {"a.$": "$.x"}], {"x": 5}, [1, {"a": 5}]),
        ("just a string", {"x": 1}, "just a string"),
    ],
)
def test_templates_build_values(template: Any, data: Any, expected: Any) -> None:
    assert render(template, data, {"limit": {"max": 3}}) == expected


def test_constant_subtrees_are_precomputed() -> None:
    compiled = compile_template({"a": {"b": [1, {"c": 2}]}, "d": "e"}, "/P")
    assert compiled == Constant({"a": {"b": [1, {"c": 2}]}, "d": "e"})


def test_results_are_fresh_containers() -> None:
    template = {"static": {"list": [1]}, "dyn.$": "$.obj"}
    compiled = compile_template(template, "/P")
    data = {"obj": {"deep": [1]}}
    first = compiled.evaluate(Scope(data))
    first["static"]["list"].append(2)
    first["dyn"]["deep"].append(2)
    second = compiled.evaluate(Scope(data))
    assert second == {"static": {"list": [1]}, "dyn": {"deep": [1]}}
    assert data == {"obj": {"deep": [1]}}
    assert template == {"static": {"list": [1]}, "dyn.$": "$.obj"}


def test_evaluation_does_not_mutate_the_input_or_context() -> None:
    data = {"a": {"b": [1, 2]}, "c": {"d": 1}}
    before, context_before = copy.deepcopy(data), copy.deepcopy(CONTEXT)
    render({"x.$": "$.a", "y.$": "States.JsonMerge($.a, $.c, false)", "z.$": "$$.Execution"}, data)
    assert data == before and CONTEXT == context_before


@pytest.mark.parametrize(
    ("template", "pointer", "message"),
    [
        ({"a.$": 5}, "/States/P/Parameters/a.$", "The value for the field 'a.$' must be a valid JSONPath"),
        ({"a.$": None}, "/States/P/Parameters/a.$", "valid intrinsic function call"),
        ({"a.$": "no dollar"}, "/States/P/Parameters/a.$", "must be a valid JSONPath"),
        ({"o": {"a/b.$": "x"}}, "/States/P/Parameters/o/a~1b.$", "field 'a/b.$'"),
        ({"l": [{}, {"x.$": "$.["}]}, "/States/P/Parameters/l/1/x.$", "field 'x.$'"),
        ({"f.$": "States.Nope()"}, "/States/P/Parameters/f.$", "unknown function 'States.Nope'"),
        ({"f.$": "States.Format('{}')"}, "/States/P/Parameters/f.$", "placeholders"),
    ],
)
def test_compile_errors_carry_the_pointer_of_the_field(template: Any, pointer: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_template(template, "/States/P/Parameters")
    assert caught.value.path == pointer
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("template", "data", "cause"),
    [
        (
            {"value.$": "$.no_such_jsonpath"},
            {"int-literal": 0},
            (
                "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' "
                "could not be found in the input '{\"int-literal\":0}'"
            ),
        ),
        (
            {"deep": [{"v.$": "$.a.b"}]},
            {"a": {"c": 1.5}},
            "The JSONPath '$.a.b' specified for the field 'v.$' could not be found in the input '{\"a\":{\"c\":1.5}}'",
        ),
    ],
)
def test_a_missing_path_fails_with_aws_runtime_cause(template: Any, data: Any, cause: str) -> None:
    with pytest.raises(StatesError) as caught:
        render(template, data)
    assert (caught.value.error, caught.value.cause, caught.value.located) == (errors.RUNTIME, cause, True)


def test_a_missing_context_path_quotes_the_context_object() -> None:
    with pytest.raises(StatesError) as caught:
        render({"value.$": "$$.Execution.Input.no_such_jsonpath"}, {"int-literal": 0})
    assert caught.value.cause == (
        "The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' could not be "
        'found in the input \'{"Execution":{"Name":"run-1","Input":{"k":"v"}},"Map":{"Item":{"Index":2,"Value":"z"}}}\''
    )


def test_intrinsic_failures_propagate() -> None:
    with pytest.raises(StatesError) as caught:
        render({"n.$": "States.ArrayGetItem($.l, 5)"}, {"l": []})
    assert caught.value.error == errors.INTRINSIC_FAILURE


def test_evaluate_path_field_names_the_field() -> None:
    path = compile_path("$.ErrorX")
    assert evaluate_path_field(path, Scope({"ErrorX": "E"}), "ErrorPath") == "E"
    with pytest.raises(StatesError) as caught:
        evaluate_path_field(path, Scope({"Error": "e"}), "ErrorPath")
    assert caught.value.cause == (
        "The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input '{\"Error\":\"e\"}'"
    )
