"""``stepforge deploy`` as a command: change set, --dry-run, idempotence, exit codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stepforge.cli import main
from tests.e2e.conftest import configured_server
from tests.server_kit import free_port

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
    assert "Resources/Flow/Properties/Definitoin: unknown property 'Definitoin'" in capsys.readouterr().err



SIGNED = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}
      Events:
        Hook: {Type: Api, Properties: {Path: /signed, Method: post}}
        Tick: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 day)}}
        Orders: {Type: EventBridgeRule, Properties: {Pattern: {source: [signed]}}}
"""


def test_every_api_is_called_signed_with_the_environment_s_keys(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "signed.yaml"
    path.write_text(SIGNED)
    with configured_server(tmp_path, '[auth.keys]\nAKIDDEPLOY = "deploy-secret"\n', "keyed server") as url:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDDEPLOY")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
        assert main(["deploy", str(path), "--endpoint", url]) == 1
        assert "InvalidSignatureException" in capsys.readouterr().err
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "deploy-secret")
        assert main(["deploy", str(path), "--endpoint", url]) == 0
        assert "deployed: 4 to create" in capsys.readouterr().out
        assert main(["deploy", str(path), "--endpoint", url]) == 0
        assert "nothing to deploy" in capsys.readouterr().out


def test_an_unreachable_server_exits_1(template: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", str(template), "--endpoint", f"http://127.0.0.1:{free_port()}"]) == 1
    assert "Could not connect" in capsys.readouterr().err


def test_no_echo_values_are_masked_in_the_change_set_and_outputs(
        template: Path, capsys: pytest.CaptureFixture[str], unique_name: Callable[[str], str]) -> None:
    template.write_text("""
Parameters:
  Token: {Type: String, NoEcho: true}
Resources:
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: P, States: {P: {Type: Pass, Result: !Sub "token [${Token}]", End: true}}}
Outputs:
  Shown: {Value: !Sub "t=${Token}"}
""")
    assert main(["deploy", str(template), "--dry-run", "--stack-name", unique_name("secret"),
                 "--parameter-overrides", "Token=hunter2"]) == 0
    shown = capsys.readouterr().out
    assert "hunter2" not in shown
    assert '"Result": "token [****]"' in shown and "t=****" in shown
