"""``stepforge test`` and ``stepforge replay`` as a CI job runs them: a table, and an exit status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stepforge.cli import main

FILES = Path(__file__).parent / "files"
DEFINITION, MOCKS = str(FILES / "lambda_sqs.asl.yaml"), str(FILES / "lambda_sqs.mocks.json")


def test_every_case_of_the_mock_config_file_runs_and_prints_a_row(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", DEFINITION, "--mocks", MOCKS, "--expect", "HybridPath=FAILED"]) == 0
    out = capsys.readouterr().out
    assert "3 test case(s)" in out and "LambdaState → SQSState" in out
    for row in ("HappyPath", "RetryPath", "HybridPath", "FAILED", "States.TaskFailed", "3 s"):
        assert row in out


def test_a_case_that_does_not_end_as_expected_fails_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", DEFINITION, "--mocks", MOCKS]) == 1
    err = capsys.readouterr().err
    assert "HybridPath: FAILED: States.TaskFailed: The resource 'arn:aws:states:::sqs:sendMessage' cannot be" in err
    assert "1 of 3 case(s) did not end as expected" in err


def test_one_case_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", DEFINITION, "--mocks", MOCKS, "--case", "RetryPath", "--name", "LambdaSQSIntegration"]) == 0
    out = capsys.readouterr().out
    assert "RetryPath" in out and "HappyPath" not in out


@pytest.mark.parametrize(("extra", "message"), [
    (["--case", "Nope"], "no test case 'Nope'"),
    (["--name", "Other"], "no state machine 'Other'"),
    (["--expect", "HappyPath"], "expected CASE=STATUS"),
])
def test_unusable_arguments_exit_2_with_the_reason(capsys: pytest.CaptureFixture[str], extra: list[str],
                                                   message: str) -> None:
    assert main(["test", DEFINITION, "--mocks", MOCKS, *extra]) == 2
    assert message in capsys.readouterr().err


def test_replay_says_compatible_or_where_it_diverges(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    history = str(FILES / "aws_history.json")
    definition: dict[str, Any] = json.loads((FILES / "orders.asl.json").read_text())
    assert main(["replay", history, str(FILES / "orders.asl.json")]) == 0
    assert "compatible" in capsys.readouterr().out
    definition["States"]["Large?"]["Choices"][0]["NumericGreaterThan"] = 500
    (tmp_path / "v2.json").write_text(json.dumps(definition))
    assert main(["replay", history, str(tmp_path / "v2.json")]) == 1
    assert "diverges at step 3 (recorded event 12): the recording entered 'Review', the new definition 'Ship'" in \
        capsys.readouterr().out
    assert main(["replay", str(tmp_path / "missing.json"), str(tmp_path / "v2.json")]) == 2
