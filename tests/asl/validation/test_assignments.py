"""Assign in the validator: variable names, the query language's fields, and no shadowing of an outer scope."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.asl.validation.validator import validate

SCHEMA = "SCHEMA_VALIDATION_FAILED"


def errors_of(definition: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    report = validate(json.dumps(definition))
    return [(d.code, d.location, d.message) for d in report.errors]


def assigning(name: str, language: str) -> dict[str, Any]:
    return {"QueryLanguage": language, "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {name: 1}, "End": True}}}


@pytest.mark.parametrize("language", ["JSONPath", "JSONata"])
@pytest.mark.parametrize(("name", "message"), [("states", "is reserved"), ("1x", "is invalid"), ("a-b", "is invalid")])
def test_invalid_variable_names_are_refused_where_they_are(language: str, name: str, message: str) -> None:
    [(code, location, text)] = errors_of(assigning(name, language))
    assert (code, location) == (SCHEMA, f"/States/A/Assign/{name}") and message in text


def test_a_jsonpath_name_with_the_dynamic_suffix_is_checked_without_it() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"1x.$": "$", "ok.$": "$"}, "End": True}}}
    [(code, location, message)] = errors_of(definition)
    assert (code, location) == (SCHEMA, "/States/A/Assign/1x.$") and "'1x'" in message


def parallel_machine(inner_assign: dict[str, Any], outer: str = "x") -> dict[str, Any]:
    return {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {outer: 1}, "Next": "P"},
        "P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": inner_assign, "End": True}}},
        ]},
    }}


def test_an_inner_scope_may_read_but_not_assign_an_outer_variable() -> None:
    assert errors_of(parallel_machine({"innerX.$": "$x"})) == []
    [(code, location, message)] = errors_of(parallel_machine({"x": 2}))
    assert (code, location) == (SCHEMA, "/States/P/Branches/0")
    assert message.startswith("The variable 'x' is assigned in an outer scope")


@pytest.mark.parametrize("kind", ["Map", "Parallel"])
def test_a_nested_scope_may_assign_a_name_only_a_catcher_of_its_outer_state_assigns(kind: str) -> None:
    # AWS accepts this (recorded: PARALLEL_CATCH_ERROR_VARIABLE_SAMPLING); stepforge warns.
    inner = {"StartAt": "I", "States": {"I": {"Type": "Pass", "Assign": {"failed.$": "$"}, "End": True}}}
    nested = {"ItemProcessor": inner} if kind == "Map" else {"Branches": [inner]}
    definition = {"StartAt": "M", "States": {"M": {
        "Type": kind, "End": True, **nested,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"failed": True}, "Next": "F"}]},
        "F": {"Type": "Fail"}}}
    report = validate(json.dumps(definition))
    assert report.result == "OK"
    assert [d.code for d in report.diagnostics] == ["VARIABLE_SHADOWS_CATCH"]


def test_a_jsonata_machine_cannot_switch_a_state_back_to_jsonpath() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}}
    assert [(code, location) for code, location, _ in errors_of(definition)] == [(SCHEMA, "/States/A")]


@pytest.mark.parametrize(("language", "field"), [("JSONata", "InputPath"), ("JSONata", "Parameters"),
                                                 ("JSONPath", "Output"), ("JSONPath", "Arguments")])
def test_each_language_refuses_the_other_languages_fields(language: str, field: str) -> None:
    definition = {"QueryLanguage": language, "StartAt": "A", "States": {"A": {"Type": "Pass", field: "$", "End": True}}}
    assert (SCHEMA, f"/States/A/{field}") in [(code, location) for code, location, _ in errors_of(definition)]
