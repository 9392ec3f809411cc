"""Definitions AWS accepts (taken from its sample collections) are accepted here, with a WARNING where
stepforge reads them loosely; the verdict of ValidateStateMachineDefinition is CreateStateMachine's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.asl.query.jsonpath import compile_path
from stepforge.asl.validation.validator import validate, validate_and_compile

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"


def one(state: dict[str, Any], **others: Any) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": state, **others}}


def warnings_of(definition: dict[str, Any]) -> list[tuple[str, str | None]]:
    checked = validate_and_compile(json.dumps(definition))
    assert checked.report.result == "OK", checked.report.diagnostics
    assert checked.machine is not None
    return [(d.code, d.location) for d in checked.report.diagnostics]


def test_a_fail_state_may_raise_a_custom_error_named_with_the_states_prefix() -> None:
    assert warnings_of(one({"Type": "Fail", "Error": "States.MyError", "Cause": "why"})) == []


def test_error_equals_may_name_a_custom_error_with_the_states_prefix_with_a_warning() -> None:
    task = {"Type": "Task", "Resource": LAMBDA, "End": True, "Retry": [{"ErrorEquals": ["States.MyError"]}],
            "Catch": [{"ErrorEquals": ["States.Other"], "Next": "P"}]}
    assert warnings_of(one(task, P={"Type": "Pass", "End": True})) == [
        ("RESERVED_ERROR_PREFIX", "/States/S/Retry/0/ErrorEquals/0"),
        ("RESERVED_ERROR_PREFIX", "/States/S/Catch/0/ErrorEquals/0")]


def test_an_unquoted_literal_in_a_filter_is_accepted_with_a_warning() -> None:
    state = {"Type": "Pass", "InputPath": "$.items[?(@.lang==es)]", "End": True}
    assert warnings_of(one(state)) == [("UNQUOTED_FILTER_LITERAL", "/States/S/InputPath")]


def test_an_unquoted_literal_in_a_parameters_path_is_accepted() -> None:
    assert warnings_of(one({"Type": "Pass", "Parameters": {"a.$": "$.items[?(@.lang==es)].name"}, "End": True})) == []


@pytest.mark.parametrize("field", ["InputPath", "OutputPath", "ResultPath"])
def test_a_trailing_blank_in_a_path_is_accepted_with_a_warning(field: str) -> None:
    assert warnings_of(one({"Type": "Pass", field: "$.a ", "End": True})) == [
        ("PATH_TRAILING_BLANK", f"/States/S/{field}")]


def test_pass_parameters_may_be_an_array() -> None:
    assert warnings_of(one({"Type": "Pass", "Parameters": [1, {"a.$": "$.x"}], "End": True})) == []


def test_task_parameters_must_still_be_an_object() -> None:
    report = validate(json.dumps(one({"Type": "Task", "Resource": LAMBDA, "Parameters": [1], "End": True})))
    assert [(d.code, d.location) for d in report.errors] == [("SCHEMA_VALIDATION_FAILED", "/States/S/Parameters")]


def test_a_blank_inside_a_path_is_still_refused() -> None:
    report = validate(json.dumps(one({"Type": "Pass", "InputPath": "$.a b", "End": True})))
    assert report.result == "FAIL"


def test_the_paths_accepted_loosely_select_what_they_mean() -> None:
    items = {"items": [{"lang": "es", "n": 1}, {"lang": "en", "n": 2}]}
    assert compile_path("$.items[?(@.lang==es)].n").evaluate(items) == [1]
    assert compile_path("$.items ").evaluate(items) == items["items"]
