"""Definition files in YAML are read as YAML 1.2, as AWS's tools read them: ``Next: Yes`` names a state."""

from __future__ import annotations

import pytest

from stepforge.asl.validation import yaml12
from stepforge.asl.validation.validator import validate_and_compile

MACHINE = """\
StartAt: Ask
States:
  Ask:
    Type: Pass
    Result:
      when: 2024-01-01T00:00:00Z
      code: 017
      clock: 1:30
    Next: Yes
  "Yes":
    Type: Succeed
"""


def test_a_state_named_yes_is_a_transition_target() -> None:
    checked = validate_and_compile(MACHINE, is_yaml=True)
    assert checked.report.result == "OK", checked.report.diagnostics
    assert checked.machine is not None


@pytest.mark.parametrize(("text", "value"), [
    ("Yes", "Yes"), ("no", "no"), ("off", "off"), ("true", True), ("FALSE", False), ("~", None), ("", None),
    ("null", None), ("017", 17), ("0o17", 15), ("0x1f", 31), ("-3", -3), ("1.5", 1.5), ("1e3", 1000.0),
    ("1:30", "1:30"), ("1_000", "1_000"), ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
])
def test_plain_scalars_take_the_types_of_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    loaded = yaml12.load(f"v: {text}\n")["v"]
    assert loaded == value and type(loaded) is type(value)


def test_yaml_syntax_errors_are_still_located() -> None:
    checked = validate_and_compile("StartAt: A\nStates: [\n", is_yaml=True)
    [problem] = checked.report.diagnostics
    assert problem.code == "INVALID_YAML_DESCRIPTION" and problem.position is not None
