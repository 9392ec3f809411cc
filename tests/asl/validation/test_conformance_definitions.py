"""Every definition of the shared conformance corpus gets AWS's verdict, and one verdict: the report of
ValidateStateMachineDefinition says OK exactly when CreateStateMachine's check compiles a machine.

AWS ran every ``start_execution`` case's definition (so accepted it) and refused each
``create_state_machine_error`` case's with InvalidDefinition. Resource placeholders (``{{fn1.arn}}``)
are filled as the runner fills them, with ARNs of the right shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepforge.asl.validation.validator import validate, validate_and_compile


def _cases_folder() -> Path | None:
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "conformance" / "cases"
        if candidate.is_dir():
            return candidate
    return None


_FILLS = {
    "arn": lambda name: f"arn:aws:lambda:us-east-1:111111111111:function:{name}",
    "activity_arn": lambda name: "arn:aws:states:us-east-1:111111111111:activity:work",
    "timestamp": lambda name: "2030-01-01T00:00:00Z",
}
_PLACEHOLDER = re.compile(r"\{\{(\w+)(?:\.(\w+))?\}\}")


def _fill(match: re.Match[str]) -> str:
    name, attr = match.group(1), match.group(2)
    if attr == "arn" and name.startswith("topic"):
        return f"arn:aws:sns:us-east-1:111111111111:{name}"
    if attr == "arn" and name.startswith("sm"):
        return f"arn:aws:states:us-east-1:111111111111:stateMachine:{name}"
    fill = _FILLS.get(attr or name)
    return fill(name) if fill else name


def _cases() -> Iterator[Any]:
    folder = _cases_folder()
    if folder is None:
        return
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            case = json.loads(line)
            if case.get("definition") is None and "definition_string" not in case:
                continue
            expected = _aws_verdict(case)
            if expected is not None:
                yield pytest.param(case, expected, id=case["id"])


def _aws_verdict(case: dict[str, Any]) -> str | None:
    if case["kind"] == "create_state_machine_error":
        return "FAIL" if case["expected_exception"]["code"] == "InvalidDefinition" else None
    if case["kind"] == "validate_state_machine_definition":
        return str(case["expected_response"]["result"])
    return "OK"  # AWS created the machine and ran (or described) it


def _text(case: dict[str, Any]) -> str:
    text = case["definition_string"] if "definition_string" in case else json.dumps(case["definition"])
    return _PLACEHOLDER.sub(_fill, text)


def _machine_type(case: dict[str, Any]) -> str:
    kwargs = case.get("validate_kwargs") or {}
    return str(kwargs.get("type") or case.get("state_machine_type") or
               ("EXPRESS" if case["kind"] == "start_sync_execution" else "STANDARD"))


CASES = list(_cases())


@pytest.mark.skipif(not CASES, reason="no shared conformance corpus beside this checkout")
@pytest.mark.parametrize(("case", "expected"), CASES)
def test_the_verdict_is_aws_s_and_the_same_for_validate_and_create(case: dict[str, Any], expected: str) -> None:
    text, machine_type = _text(case), _machine_type(case)
    report = validate(text, machine_type=machine_type)
    created = validate_and_compile(text, machine_type=machine_type, severity="ERROR")
    assert report.result == expected, [d.describe() for d in report.errors]
    assert (created.machine is not None) == (report.result == "OK")
