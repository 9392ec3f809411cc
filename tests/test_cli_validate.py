"""``stepforge validate FILE...``: one ``file:line:col: CODE: message`` line per diagnostic."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepforge.cli import main

THREE_PLANTED_ERRORS = """{
  "StartAt": "First",
  "States": {
    "First": {
      "Type": "Pass",
      "InputPath": "$.[",
      "Next": "Second"
    },
    "Second": {
      "Type": "Wait",
      "Seconds": -1,
      "Next": "Done"
    },
    "Done": {
      "Type": "Fail",
      "ErrorPath": "States.Nope(1)"
    }
  }
}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    status = main(["validate", *args])
    return status, capsys.readouterr().out.splitlines()


def test_three_planted_errors_give_three_located_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "machine.asl.json"
    path.write_text(THREE_PLANTED_ERRORS)
    status, lines = run(capsys, str(path))
    assert status == 1
    assert [line.split(": ", 2)[:2] for line in lines] == [
        [f"{path}:6:7", "SCHEMA_VALIDATION_FAILED"],
        [f"{path}:11:7", "SCHEMA_VALIDATION_FAILED"],
        [f"{path}:16:7", "SCHEMA_VALIDATION_FAILED"],
    ]
    assert "InputPath" in lines[0] and "between 0 and" in lines[1] and "States.Nope" in lines[2]


def test_yaml_and_several_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.json"
    good.write_text('{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}')
    bad = tmp_path / "bad.yaml"
    bad.write_text("StartAt: A\nStates:\n  A:\n    Type: Pass\n    Resultt: 1\n    End: true\n")
    status, lines = run(capsys, str(good), str(bad))
    assert status == 1
    assert lines == [f'{bad}:5:5: SCHEMA_VALIDATION_FAILED: The field "Resultt" is not supported by Step Functions']
    assert run(capsys, str(good)) == (0, [])


def test_syntax_errors_point_at_the_offending_character(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"a":\n  tru}')
    status, lines = run(capsys, str(broken))
    assert status == 1 and lines[0].startswith(f"{broken}:2:3: INVALID_JSON_DESCRIPTION: Unrecognized token 'tru'")
    yaml_file = tmp_path / "broken.yml"
    yaml_file.write_text("a: [1,\nb: }")
    status, lines = run(capsys, str(yaml_file))
    assert status == 1 and lines[0].startswith(f"{yaml_file}:2:") and "INVALID_YAML_DESCRIPTION" in lines[0]


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.json")]) == 2


def test_an_inner_scope_assigning_an_outer_variable_is_located(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "shadow.asl.json"
    path.write_text("""{"StartAt": "A", "States": {
  "A": {"Type": "Pass", "Assign": {"total": 0}, "Next": "P"},
  "P": {"Type": "Parallel", "End": true, "Branches": [
    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"total": 1}, "End": true}}}]}}}""")
    status, lines = run(capsys, str(path))
    assert status == 1
    assert lines == [(f"{path}:4:5: SCHEMA_VALIDATION_FAILED: The variable 'total' is assigned in an outer scope "
                      "and cannot be assigned in a nested Parallel branch or Map iteration")]


def test_yaml_is_read_as_yaml_1_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "machine.asl.yaml"
    path.write_text('StartAt: Ask\nStates:\n  Ask:\n    Type: Pass\n    Next: Yes\n  "Yes":\n    Type: Succeed\n')
    assert run(capsys, str(path)) == (0, [])


SQS_TASK = '{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}}}'


@pytest.mark.parametrize(("config", "warned"), [
    (None, False), ("", True), ('[passthrough]\nendpoint_url = "http://127.0.0.1:1"\n', False)])
def test_a_server_configuration_makes_unreachable_tasks_warnings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str | None, warned: bool) -> None:
    path = tmp_path / "machine.asl.json"
    path.write_text(SQS_TASK)
    args = [str(path)]
    if config is not None:
        (tmp_path / "stepforge.toml").write_text(config)
        args += ["--config", str(tmp_path / "stepforge.toml")]
    status, lines = run(capsys, *args)
    assert status == 0
    expected = (f"{path}:1:51: UNREACHABLE_RESOURCE: This server cannot reach 'arn:aws:states:::sqs:sendMessage' "
                "with its configuration (no Python function registered and no pass-through endpoint for the "
                "service): the task will fail when it runs (warning)")
    assert lines == ([expected] if warned else [])
