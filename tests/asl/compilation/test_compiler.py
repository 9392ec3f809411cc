"""The compiler: one builder per state type whatever the query language, the language's fields from its dialect."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.compiler import compile_definition
from stepforge.asl.validation.validator import validate

LAMBDA = "arn:aws:states:::lambda:invoke"
PROCESSOR = {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}


RULES = {"JSONPath": [{"Variable": "$.x", "IsPresent": True, "Next": "N"}],
         "JSONata": [{"Condition": "{% $exists($states.input.x) %}", "Next": "N"}]}


def compiled(state: dict[str, Any], language: str = "JSONPath") -> st.State:
    """The state ``S`` of a machine the validator accepts (the compiler reads only such machines)."""
    if state.get("Choices") == "RULES":
        state = {**state, "Choices": RULES[language]}
    states = {"S": state, **({"N": {"Type": "Succeed"}} if '"N"' in json.dumps(state) else {})}
    text = json.dumps({"QueryLanguage": language, "StartAt": "S", "States": states})
    assert validate(text).result == "OK", validate(text).diagnostics
    return compile_definition(text)["S"]


@pytest.mark.parametrize("language", ["JSONPath", "JSONata"])
@pytest.mark.parametrize(("state", "kind"), [
    ({"Type": "Pass", "Next": "N"}, st.PassState),
    ({"Type": "Task", "Resource": LAMBDA, "Next": "N"}, st.TaskState),
    ({"Type": "Choice", "Choices": "RULES", "Default": "N"}, st.ChoiceState),
    ({"Type": "Wait", "Seconds": 3, "Next": "N"}, st.WaitState),
    ({"Type": "Succeed"}, st.SucceedState),
    ({"Type": "Fail", "Error": "E"}, st.FailState),
    ({"Type": "Parallel", "Branches": [PROCESSOR], "Next": "N"}, st.ParallelState),
    ({"Type": "Map", "ItemProcessor": PROCESSOR, "Next": "N"}, st.MapState),
])
def test_each_state_type_has_one_class_in_both_languages(state: dict[str, Any], kind: type, language: str) -> None:
    found = compiled(state, language)
    assert type(found) is kind and found.query_language == language and found.name == "S"


def test_a_jsonpath_task_takes_paths_templates_and_path_numbers() -> None:
    task = compiled({"Type": "Task", "Resource": LAMBDA, "Next": "N", "InputPath": "$.in", "OutputPath": None,
                     "Parameters": {"a.$": "$.x"}, "ResultSelector": {"b": 1}, "ResultPath": "$.r",
                     "TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 2,
                     "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "N"}]})
    assert isinstance(task, st.TaskState)
    assert task.input_path is not None and task.output_path is None and task.arguments is None
    assert task.parameters is not None and task.result_selector is not None and task.result_path is not None
    assert task.timeout is not None and task.timeout.path is not None and task.timeout.field == "TimeoutSecondsPath"
    assert task.heartbeat == st.IntOrPath(value=2.0, field="HeartbeatSeconds")
    assert task.catch[0].result_path is None and task.catch[0].output is None


def test_a_jsonata_task_takes_arguments_output_and_expression_numbers() -> None:
    task = compiled({"Type": "Task", "Resource": LAMBDA, "Next": "N", "Arguments": {"a": "{% $states.input %}"},
                     "Output": "{% $states.result %}", "TimeoutSeconds": "{% 5 %}",
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% 1 %}", "Next": "N"}]}, "JSONata")
    assert isinstance(task, st.TaskState)
    assert task.arguments is not None and task.output is not None and task.parameters is None
    assert task.input_path is None and task.result_path is None
    assert task.timeout is not None and task.timeout.query is not None
    assert task.catch[0].output is not None and task.catch[0].result_path is None


def test_wait_fail_and_map_fields_follow_the_language() -> None:
    wait = compiled({"Type": "Wait", "SecondsPath": "$.s", "Next": "N"})
    assert isinstance(wait, st.WaitState) and wait.seconds_path is not None and wait.seconds is None
    timed = compiled({"Type": "Wait", "Timestamp": "{% $t %}", "Next": "N"}, "JSONata")
    assert isinstance(timed, st.WaitState) and timed.timestamp_query is not None and timed.timestamp is None
    fail = compiled({"Type": "Fail", "ErrorPath": "States.Format('{}', $.e)", "Cause": "c"})
    assert isinstance(fail, st.FailState) and fail.error_path is not None and fail.cause == "c"
    jsonata_fail = compiled({"Type": "Fail", "Error": "{% 'E' %}"}, "JSONata")
    assert isinstance(jsonata_fail, st.FailState) and jsonata_fail.error_query is not None
    items = compiled({"Type": "Map", "ItemProcessor": PROCESSOR, "Next": "N", "ItemsPath": "$.xs",
                      "Parameters": {"v.$": "$$.Map.Item.Value"}, "MaxConcurrency": 2})
    assert isinstance(items, st.MapState) and items.items_path is not None and items.item_selector is not None
    assert items.parameters is None and items.max_concurrency == st.IntOrPath(value=2.0, field="MaxConcurrency")
    query = compiled({"Type": "Map", "ItemProcessor": {**PROCESSOR, "ProcessorConfig": {"Mode": "DISTRIBUTED"}},
                      "Next": "N", "Items": [1, 2], "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}"}},
                     "JSONata")
    assert isinstance(query, st.MapState) and query.items is not None and query.selector_query is not None
    assert query.distributed and query.items_path is None


def test_choice_rules_in_each_language() -> None:
    path = compiled({"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "N",
                                                     "Assign": {"v.$": "$.x"}}]})
    assert isinstance(path, st.ChoiceState) and path.choices[0].next == "N"
    assert path.choices[0].assign is not None and path.choices[0].assign.names == {"v"}
    query = compiled({"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "N", "Output": 1}]},
                     "JSONata")
    assert isinstance(query, st.ChoiceState) and query.choices[0].output is not None
