"""``stepforge deploy`` as a command: change set, --dry-run, idempotence, exit codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stepforge.cli import main

TEMPLATE = """
Resources:
  Jobs:
    Type: AWS::StepFunctions::Activity
    Properties: {Name: !Sub "${AWS::StackName}-jobs"}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: P, States: {P: {Type: Pass, Result: !Ref Jobs, End: true}}}
"""


@pytest.fixture
def template(tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A template file; the server is the default endpoint, through AWS_ENDPOINT_URL_SFN."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", endpoint)
    monkeypatch.setenv("COLUMNS", "200")
    path = tmp_path / "shop.yaml"
    path.write_text(TEMPLATE)
    return path


def test_dry_run_then_deploy_then_nothing_to_deploy(template: Path, capsys: pytest.CaptureFixture[str],
                                                     unique_name: Callable[[str], str]) -> None:
    stack = ["--stack-name", unique_name("cli")]
    assert main(["deploy", str(template), "--dry-run", *stack]) == 0
    shown = capsys.readouterr().out
    assert "2 to create, 0 to update, 0 unchanged" in shown and "dry run: nothing applied" in shown
    assert '"StartAt": "P"' in shown  # the definition's diff

    assert main(["deploy", str(template), *stack]) == 0
    assert "deployed: 2 to create" in capsys.readouterr().out
    assert main(["deploy", str(template), *stack]) == 0
    assert "nothing to deploy" in capsys.readouterr().out


def test_the_stack_name_defaults_to_the_template_file_name(template: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", str(template), "--dry-run"]) == 0
    assert "shop-Flow" in capsys.readouterr().out


def test_a_broken_template_exits_2_with_the_place(template: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template.write_text(TEMPLATE.replace("Definition:", "Definitoin:"))
    assert main(["deploy", str(template)]) == 2
    assert "Resources/Flow/Properties/Definitoin: unknown property 'Definitoin'" in capsys.readouterr().out

