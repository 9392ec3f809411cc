"""variableReferences: which workflow variables each state reads, in either query language."""

from __future__ import annotations

from stepforge.asl.validation.references import variable_references


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
