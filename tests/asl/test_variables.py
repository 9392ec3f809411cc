"""Variables: compiling Assign in both languages, scoping rules, size limits, variableReferences."""

from __future__ import annotations

from typing import Any

import pytest

from stepforge.asl import errors
from stepforge.asl.compilation.compiler import compile_definition
from stepforge.asl.compilation.variables import MAX_VARIABLE_BYTES, check_sizes, compile_assign, visible
from stepforge.asl.errors import DefinitionError, StatesError
from stepforge.asl.records import Frame, Run
from stepforge.asl.scope import Scope
from stepforge.asl.validation.references import variable_references


def test_jsonpath_assign_takes_paths_intrinsics_and_literals() -> None:
    assign = compile_assign({"a.$": "$.x", "b.$": "States.Format('{}!', $v)", "c": "$.literal"}, "/A", "JSONPath")
    assert assign is not None and assign.names == {"a", "b", "c"}
    assert assign.evaluate(Scope({"x": 1}, {}, {"v": "hi"})) == {"a": 1, "b": "hi!", "c": "$.literal"}


def test_jsonata_assign_evaluates_each_value() -> None:
    assign = compile_assign({"a": "{% $states.input.x + $v %}", "b": [1, "{% 2 %}"]}, "/A", "JSONata")
    assert assign is not None
    assert assign.evaluate(Scope({"x": 1}, {}, {"v": 2})) == {"a": 3, "b": [1, 2]}


@pytest.mark.parametrize("name", ["states", "1x", "a-b"])
def test_invalid_variable_names_are_refused(name: str) -> None:
    with pytest.raises(DefinitionError):
        compile_assign({name: 1}, "/A", "JSONata")


def test_an_empty_assign_assigns_nothing() -> None:
    assert compile_assign({}, "/A", "JSONPath") is None


def test_inner_scopes_read_the_frames_above_them() -> None:
    run = Run(frames={0: Frame(0, (), "A", None, variables={"x": 1, "y": 1}),
                      1: Frame(1, (("M", 0),), "B", None, parent=0, variables={"y": 2})})
    seen = visible(run, run.frames[1])
    assert (seen["x"], seen["y"]) == (1, 2)
    seen["z"] = 3
    assert "z" not in run.frames[0].variables


def parallel_machine(inner_assign: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
        "P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": inner_assign, "End": True}}},
        ]},
    }}


def test_an_inner_scope_cannot_assign_an_outer_variable() -> None:
    compile_definition(parallel_machine({"innerX.$": "$x"}))
    with pytest.raises(DefinitionError) as caught:
        compile_definition(parallel_machine({"x": 2}))
    assert caught.value.path == "/States/P/Branches/0"


def test_a_jsonata_machine_cannot_switch_a_state_back_to_jsonpath() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_definition({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}})
    assert caught.value.path == "/States/A/QueryLanguage"


@pytest.mark.parametrize(("language", "field"), [("JSONata", "InputPath"), ("JSONata", "Parameters"),
                                                 ("JSONPath", "Output"), ("JSONPath", "Arguments")])
def test_each_language_refuses_the_other_languages_fields(language: str, field: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_definition({"QueryLanguage": language, "StartAt": "A", "States": {
            "A": {"Type": "Pass", field: "$", "End": True}}})
    assert caught.value.path == f"/States/A/{field}"


def test_variables_over_256_kib_are_refused() -> None:
    assert check_sizes({"a": [1, "x"]}) == {"a": '[1,"x"]'}
    with pytest.raises(StatesError) as caught:
        check_sizes({"big": "x" * MAX_VARIABLE_BYTES})
    assert caught.value.error == errors.DATA_LIMIT_EXCEEDED


def test_variable_references_cover_paths_intrinsics_choice_rules_and_jsonata() -> None:
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "InputPath": "$a", "Parameters": {"f.$": "States.Format('{} $no', $b)"},
              "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$c", "StringEqualsPath": "$d", "Next": "J"}]},
        "J": {"Type": "Pass", "QueryLanguage": "JSONata", "End": True,
              "Output": "{% ($f := function($n){$n + $e}; $f($states.input.x) & $string($g)) %}"},
    }}
    assert variable_references(definition) == {"A": ["a", "b"], "C": ["c", "d"], "J": ["e", "g"]}


def test_no_references_is_none() -> None:
    assert variable_references({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}) is None
