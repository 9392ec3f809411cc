"""The one entry: a definition's text read once, judged by the validator alone, compiled when it passes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepforge.asl.compilation import states as st
from stepforge.asl.validation.validator import INTERNAL_ERROR, validate_and_compile

SCHEMA = "SCHEMA_VALIDATION_FAILED"
TESTS = Path(__file__).resolve().parents[2]


def test_a_valid_definition_comes_back_compiled() -> None:
    checked = validate_and_compile(json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": 1, "Next": "B"},
        "B": {"Type": "Wait", "QueryLanguage": "JSONata", "Seconds": "{% 1 %}", "End": True}}}))
    assert checked.report.result == "OK" and checked.machine is not None
    assert isinstance(checked.machine["A"], st.PassState) and checked.machine["A"].has_result
    assert isinstance(checked.machine["B"], st.WaitState) and checked.machine["B"].seconds_query is not None


# Each of these the compiler used to refuse by itself, after the validator had accepted it.
FORMER_COMPILER_ERRORS = [
    pytest.param(
        """{"StartAt": "A", "States": {
  "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
  "P": {"Type": "Parallel", "End": true, "Branches": [
    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"x": 2}, "End": true}}}]}}}""",
        "/States/P/Branches/0", (4, 5), id="inner-scope-assigns-an-outer-variable"),
    pytest.param(
        """{"QueryLanguage": "JSONata", "StartAt": "A", "States": {
  "A": {"Type": "Pass",
        "Assign": {"states": 1}, "End": true}}}""",
        "/States/A/Assign/states", (3, 20), id="variable-named-states"),
    pytest.param(
        """{"QueryLanguage": "JSONata", "StartAt": "M", "States": {
  "M": {"Type": "Map", "Items": 5, "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}}}""",
        "/States/M/Items", (2, 24), id="jsonata-items-not-an-array"),
]


@pytest.mark.parametrize(("text", "pointer", "place"), FORMER_COMPILER_ERRORS)
def test_what_the_compiler_caught_is_reported_by_the_validator_with_pointer_and_place(
    text: str, pointer: str, place: tuple[int, int],
) -> None:
    checked = validate_and_compile(text)
    assert checked.machine is None and checked.report.result == "FAIL"
    [error] = checked.report.errors
    assert (error.code, error.location) == (SCHEMA, pointer)
    assert checked.position(error) == place


def test_unreadable_text_is_placed_by_the_parser() -> None:
    checked = validate_and_compile('{"StartAt": "A",\n  "States": tru}')
    [error] = checked.report.errors
    assert checked.machine is None and error.code == "INVALID_JSON_DESCRIPTION"
    assert checked.position(error) == (2, 13)


def test_yaml_is_read_as_the_json_it_stands_for() -> None:
    checked = validate_and_compile("StartAt: A\nStates:\n  A:\n    Type: Pass\n    Nxt: B\n    End: true\n",
                                   is_yaml=True)
    [error] = checked.report.errors
    assert error.location == "/States/A/Nxt" and checked.position(error) == (5, 5)
    fixed = validate_and_compile("StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n", is_yaml=True)
    assert fixed.machine is not None and fixed.machine.start_at == "A"


def test_warnings_do_not_stop_compilation() -> None:
    checked = validate_and_compile(json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"x": "$.a"}, "End": True}}}))
    assert [d.code for d in checked.report.diagnostics] == ["NO_DOLLAR"] and checked.machine is not None


def test_a_value_too_deep_to_compile_is_refused_not_raised() -> None:
    deep: Any = 1
    for _ in range(900):
        deep = [deep]
    checked = validate_and_compile(json.dumps({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": deep, "End": True}}}))
    assert checked.machine is None
    assert [(d.code, d.location) for d in checked.report.errors] == [("TOO_DEEPLY_NESTED", "/")]


# -- corpus: every definition that validates compiles ------------------------------------------------


def _conformance_cases() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        cases = parent / "shared" / "conformance" / "cases"
        if cases.is_dir():
            return cases
    return None


def _definitions() -> Iterator[Any]:
    cases = _conformance_cases()
    for path in sorted(cases.glob("*.jsonl")) if cases is not None else []:
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
            case = json.loads(line) if line.strip() else {}
            if "definition" not in case and "definition_string" not in case:
                continue
            text = case.get("definition_string") or json.dumps(case.get("definition"))
            machine_type = case.get("state_machine_type") or "STANDARD"
            yield pytest.param(text, machine_type, id=f"{path.stem}-{number}")
    for path in sorted((TESTS / "e2e" / "machines").glob("*.asl.json")):
        yield pytest.param(path.read_text(), "STANDARD", id=path.name)


@pytest.mark.parametrize(("text", "machine_type"), list(_definitions()))
def test_every_definition_the_validator_accepts_compiles(text: str, machine_type: str) -> None:
    checked = validate_and_compile(text, machine_type=machine_type)
    assert not any(d.message.startswith(INTERNAL_ERROR) for d in checked.report.diagnostics), checked.report
    assert (checked.machine is not None) == (checked.report.result == "OK")
