"""The definition validator: AWS's codes and locations, several diagnostics at once, never a crash."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.asl.validation.parsing import MAX_DEFINITION_BYTES
from stepforge.asl.validation.validator import validate


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> str:
    return json.dumps({"StartAt": start or next(iter(states)), "States": states, **top})


def found(text: str, **options: Any) -> list[tuple[str, str | None]]:
    return [(d.code, d.location) for d in validate(text, **options).diagnostics if d.severity == "ERROR"]


PASS_END = {"Type": "Pass", "End": True}
SCHEMA = "SCHEMA_VALIDATION_FAILED"
TARGET = "MISSING_TRANSITION_TARGET"
LAMBDA = "arn:aws:states:::lambda:invoke"

VALID = [
    machine({"A": PASS_END}),
    machine({"A": {"Type": "Pass", "Parameters": {"x.$": "$.a", "y.$": "States.Format('{}', $.b)"}, "Next": "B"},
             "B": {"Type": "Succeed"}}),
    machine({"M": {"Type": "Map", "QueryLanguage": "JSONata", "End": True, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
        "States": {"P": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}}}}, QueryLanguage="JSONPath"),
    machine({"T": {"Type": "Task", "Resource": LAMBDA, "Arguments": {"a": "{% $states.input %}"},
                   "Output": "{% $states.result %}", "End": True}}, QueryLanguage="JSONata"),
    machine({"C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "F"}],
                   "Default": "F"}, "F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "States.JsonToString($)"}}),
    machine({"W": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": True}}),
    machine({"P": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "B", "States": {"B": PASS_END}}]}}),
    machine({"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "End": True,
                   "Retry": [{"ErrorEquals": ["States.Timeout"]}, {"ErrorEquals": ["States.ALL"]}]}}),
]


@pytest.mark.parametrize("text", VALID)
def test_valid_definitions_are_ok(text: str) -> None:
    report = validate(text)
    assert report.result == "OK", report.diagnostics


@pytest.mark.parametrize(("text", "expected"), [
    ("{}", [(SCHEMA, "/")]),
    (json.dumps({"States": {"A": PASS_END}}), [(SCHEMA, "/")]),
    (" ", [(SCHEMA, None)]),
    ("[1]", [(SCHEMA, None)]),
    (machine({"A": {"Type": "Pass", "Next": "Nowhere"}}), [(TARGET, "/States/A/Next"), ("MISSING_END_STATE", "/")]),
    (machine({"A": PASS_END, "B": PASS_END}), [(TARGET, "/States/B")]),
    (machine({"A": PASS_END}, start="Z"), [(TARGET, "/StartAt"), (TARGET, "/States/A")]),
    (machine({"A": {"Type": "Wait", "Timestamp": "2016-13-05T21:29:29Z", "End": True}}),
     [(SCHEMA, "/States/A/Timestamp")]),
    (machine({"A": {"Type": "Fail", "ErrorPath": "$..["}}), [(SCHEMA, "/States/A/ErrorPath")]),
    (machine({"A": {"Type": "Fail", "Error": "x", "ErrorPath": "$.e"}}), [(SCHEMA, "/States/A")]),
    (machine({"A": {"Type": "Choice", "End": True, "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "A"}]}}),
     [(SCHEMA, "/States/A/End")]),
    (machine({"A": {"Type": "Pass", "Next": "B", "End": True}, "B": PASS_END}), [(SCHEMA, "/States/A")]),
    (machine({"A": {"Type": "Pass", "Parameters": {"x.$": "States.Nope(1)"}, "End": True}}),
     [(SCHEMA, "/States/A/Parameters/x.$")]),
    (machine({"A": {"Type": "Pass", "ResultPath": "$.a[*]", "End": True}}), [(SCHEMA, "/States/A/ResultPath")]),
    (machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                    "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}}),
     [(SCHEMA, "/States/A/Retry/0/ErrorEquals")]),
    (machine({"A": {"Type": "Task", "Resource": LAMBDA, "End": True,
                    "Catch": [{"ErrorEquals": ["States.ALL", "X"], "Next": "A"}]}}),
     [(SCHEMA, "/States/A/Catch/0/ErrorEquals")]),
    (machine({"A": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": True}}),
     [(SCHEMA, "/States/A/Resource")]),
    (machine({"A": {"Type": "Pass", "Output": {}, "End": True}}), [(SCHEMA, "/States/A/Output")]),
    (machine({"A": {"Type": "Pass", "Parameters": {}, "End": True}}, QueryLanguage="JSONata"),
     [(SCHEMA, "/States/A/Parameters")]),
    (machine({"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}, QueryLanguage="JSONata"),
     [(SCHEMA, "/States/A")]),
    (machine({"x" * 81: PASS_END}), [("INVALID_STATE_NAME", "/States/" + "x" * 81)]),
    (machine({"A": {"Type": "Pass", "Assign": {"1bad": 1}, "End": True}}), [(SCHEMA, "/States/A/Assign/1bad")]),
    (machine({"A": {"Type": "Map", "End": True, "Label": "a b", "ItemProcessor": {
        "StartAt": "B", "States": {"B": PASS_END}}}}), [("INVALID_LABEL_NAME", "/States/A/Label")]),
    (machine({"P": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "P", "States": {"P": PASS_END}}]}}),
     [("DUPLICATE_STATE_NAME", "/States/P/Branches/0/States/P")]),
    ('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}, "A": {"Type": "Succeed"}}}',
     [("DUPLICATE_STATE_NAME", "/States/A")]),
    (machine({"A": {"Type": "Choice", "Choices": [{"Condition": "$.x", "Next": "B"}]}, "B": PASS_END},
             QueryLanguage="JSONata"), [(SCHEMA, "/States/A/Choices/0/Condition")]),
])
def test_refusals_carry_aws_codes_and_locations(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(("resource", "problem"), [
    ("arn:aws:states:us-east-1:111111111111:activity:a", "Activity ARN"),
    ("arn:aws:states:::states:startExecution.sync", "'.sync'"),
    ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "'.waitForTaskToken'"),
])
def test_express_machines_refuse_activities_and_callbacks(resource: str, problem: str) -> None:
    text = machine({"T": {"Type": "Task", "Resource": resource, "End": True}})
    assert validate(text).result == "OK"
    (diagnostic,) = validate(text, machine_type="EXPRESS").diagnostics
    assert problem in diagnostic.message and diagnostic.location == "/States/T/Resource"


def test_several_problems_are_collected() -> None:
    text = machine({"A": {"Type": "Pass", "InputPath": "nope", "Next": "B"},
                    "B": {"Type": "Wait", "Seconds": -1, "Next": "C"},
                    "C": {"Type": "Fail", "Bogus": 1}})
    assert found(text) == [(SCHEMA, "/States/A/InputPath"), (SCHEMA, "/States/B/Seconds"), (SCHEMA, "/States/C/Bogus")]


def test_invalid_definition_message_has_aws_form() -> None:
    report = validate(json.dumps({"StartAt": "A"}))
    assert report.invalid_definition_message() == (
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'")


def test_json_syntax_errors_are_located_like_jackson() -> None:
    (diagnostic,) = validate("not a definition").diagnostics
    assert diagnostic.code == "INVALID_JSON_DESCRIPTION"
    assert diagnostic.location == '[Source: (String)"not a definition"; line: 1, column: 4]'
    assert diagnostic.message.startswith("Unrecognized token 'not'")
    assert validate('{\n  "a": }').diagnostics[0].position == (2, 8)


def test_warnings_are_filtered_by_severity_and_do_not_fail() -> None:
    text = machine({"A": {"Type": "Pass", "Result": {"x.$": "$.a"}, "End": True}})
    report = validate(text)
    assert report.result == "OK" and [d.code for d in report.diagnostics] == ["PASS_RESULT_IS_STATIC"]
    assert validate(text, severity="ERROR").diagnostics == []


def test_max_results_truncates_but_keeps_the_result() -> None:
    states = {f"S{i}": {"Type": "Pass", "Bogus": i, "End": True} for i in range(5)}
    report = validate(machine(states), max_results=2)
    assert (len(report.diagnostics), report.truncated, report.result) == (2, True, "FAIL")


def test_graph_rules_wait_until_the_schema_is_valid() -> None:
    text = machine({"A": {"Type": "Pass", "Bogus": 1, "Next": "Nowhere"}})
    assert found(text) == [(SCHEMA, "/States/A/Bogus")]


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,
    json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Parameters": {}}}})
    .replace('"Parameters": {}', '"Parameters": ' + '{"a":' * 990 + "1" + "}" * 990),
    "{" + " " * MAX_DEFINITION_BYTES + "}",
    '{"StartAt": NaN}',
    json.dumps({"StartAt": [], "States": {"A": {"Type": {}, "Next": []}}}),
])
def test_hostile_input_gives_diagnostics_not_exceptions(text: str) -> None:
    report = validate(text)
    assert report.result == "FAIL" and report.diagnostics


def test_a_jsonata_syntax_error_is_refused_where_it_stands() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "P", "States": {
        "P": {"Type": "Pass", "Output": {"ok": "{% $states.input.a + 1 %}", "bad": "{% $sum( %}"}, "End": True}}}
    report = validate(json.dumps(definition))
    assert report.result == "FAIL"
    assert [(d.code, d.location) for d in report.diagnostics] == [
        ("SCHEMA_VALIDATION_FAILED", "/States/P/Output/bad")]
