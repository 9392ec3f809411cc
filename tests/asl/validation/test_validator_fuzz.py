"""Property: mutating valid definitions never crashes the validator, the compiler or the API path; every
refusal names a place that exists in the mutated input; whatever the validator accepts compiles."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stepforge.asl.validation.validator import INTERNAL_ERROR, resolve_pointer, validate, validate_and_compile
from stepforge.service import statemachines
from stepforge.service.errors import ApiError

SEED: dict[str, Any] = {"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Parameters": {"a.$": "$.x", "b": [1, {"c.$": "States.Format('{}', $.y)"}]},
          "ResultPath": "$.r", "Next": "T"},
    "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 10,
          "Retry": [{"ErrorEquals": ["States.Timeout"]}, {"ErrorEquals": ["States.ALL"]}],
          "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}], "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "M"}], "Default": "S"},
    "M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
        "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}, "Next": "Par"},
    "Par": {"Type": "Parallel", "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}], "Next": "S"},
    "F": {"Type": "Fail", "ErrorPath": "$.Error", "Cause": "c"},
    "S": {"Type": "Succeed"},
}}
JSONATA_SEED: dict[str, Any] = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
    "A": {"Type": "Pass", "Output": "{% $states.input %}", "Assign": {"v": 1}, "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Condition": "{% $v > 0 %}", "Next": "E"}], "Default": "E"},
    "E": {"Type": "Wait", "Seconds": "{% 1 %}", "End": True},
}}

FIELDS = st.sampled_from(["Type", "Next", "End", "Resource", "Parameters", "ResultPath", "InputPath", "Choices",
                          "Default", "Branches", "ItemProcessor", "Retry", "Catch", "ErrorEquals", "Seconds",
                          "QueryLanguage", "Output", "Arguments", "Assign", "Label", "x.$", "StartAt", "States"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
    st.sampled_from(["$", "$.a[", "$$.Task.Token", "States.Array(1", "States.ALL", "States.X", "{% %}", "{% 1 %}",
                     "2020-02-30T00:00:00Z", "JSONata", "arn:aws:states:::nope:x", "Pass", "Map", "Choice"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELDS, inner, max_size=3),
                      max_leaves=6)


def _containers(node: Any) -> list[Any]:
    found, pending = [], [node]
    while pending:
        item = pending.pop()
        if isinstance(item, (dict, list)):
            found.append(item)
            pending.extend(item.values() if isinstance(item, dict) else item)
    return found


@st.composite
def mutated(draw: st.DrawFn) -> str:
    doc = copy.deepcopy(draw(st.sampled_from([SEED, JSONATA_SEED])))
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(_containers(doc)))
        if isinstance(target, list):
            if target:
                target[draw(st.integers(0, len(target) - 1))] = draw(VALUES)
            continue
        action = draw(st.integers(0, 2))
        keys = sorted(target)
        if action == 0 and keys:
            del target[draw(st.sampled_from(keys))]
        elif action == 1 and keys:
            target[draw(st.sampled_from(keys))] = draw(VALUES)
        else:
            target[draw(FIELDS)] = draw(VALUES)
    return json.dumps(doc)


def _exists(document: Any, pointer: str) -> bool:
    return resolve_pointer(document, pointer) == pointer


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_never_crash_and_refusals_are_located(text: str) -> None:
    checked = validate_and_compile(text)
    report = checked.report
    document = json.loads(text)
    assert not any(d.message.startswith(INTERNAL_ERROR) for d in report.diagnostics), report
    assert (checked.machine is not None) == (report.result == "OK")
    for diagnostic in report.errors:
        assert diagnostic.position is None and diagnostic.location is not None and _exists(document, diagnostic.location), diagnostic
    try:
        statemachines.check_definition(text)
    except ApiError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_a_report(text: str) -> None:
    report = validate(text)
    assert report.result in ("OK", "FAIL")
