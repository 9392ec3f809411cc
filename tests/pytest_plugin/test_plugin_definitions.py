"""Definitions from files (JSON, YAML, CloudFormation/SAM templates) and MockConfigFile test cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stepforge.pytest_plugin import StepForge
from stepforge.pytest_plugin.definitions import DefinitionFileError, definition_text, load_definition

FILES = Path(__file__).parent / "files"
LAMBDA_SQS = FILES / "lambda_sqs.asl.yaml"
MOCKS = "files/lambda_sqs.mocks.json"
RESIZE = "arn:aws:lambda:us-east-1:000000000000:function:resize-image"


def test_a_yaml_definition_reads_as_yaml_1_2() -> None:
    definition = load_definition(LAMBDA_SQS)
    assert definition["StartAt"] == "LambdaState" and definition["States"]["SQSState"]["End"] is True


def test_a_sam_state_machine_by_logical_id_with_substitutions_and_get_att() -> None:
    definition = load_definition(FILES / "template.yaml", resource="Thumbnails")
    assert definition["States"]["Resize"] == {"Type": "Task", "Resource": RESIZE, "Parameters": {"size": "128"},
                                              "End": True}


def test_a_definition_string_with_fn_sub_and_a_definition_uri() -> None:
    assert load_definition(FILES / "template.yaml", resource="Legacy")["States"]["Call"]["Resource"] == RESIZE
    assert load_definition(FILES / "template.yaml", resource="FromFile") == load_definition(LAMBDA_SQS)


@pytest.mark.parametrize(("resource", "message"), [
    (None, "name the state machine resource: one of \\['Thumbnails', 'Legacy', 'FromFile'\\]"),
    ("Resize", "no state machine resource 'Resize'"),
])
def test_a_template_resource_that_is_no_single_state_machine_is_refused(resource: str | None, message: str) -> None:
    with pytest.raises(DefinitionFileError, match=message):
        load_definition(FILES / "template.yaml", resource=resource)


def test_files_that_hold_no_definition_say_why(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text("[1]")
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "other.json").write_text(json.dumps({"Comment": "x"}))
    with pytest.raises(DefinitionFileError, match="expected a JSON object, found list"):
        load_definition(tmp_path / "list.json")
    with pytest.raises(DefinitionFileError, match="not valid JSON"):
        load_definition(tmp_path / "broken.json")
    with pytest.raises(DefinitionFileError, match="neither a definition"):
        load_definition(tmp_path / "other.json")
    with pytest.raises(DefinitionFileError, match="missing.json"):
        load_definition(tmp_path / "missing.json")


def test_a_template_machine_runs_under_the_fixture(stepforge: StepForge) -> None:
    stepforge.function("resize-image", lambda event, context: {"resized": event["size"]})
    machine = stepforge.load(FILES / "template.yaml", resource="Thumbnails")
    assert machine.name == "Thumbnails" and machine.run().output == {"resized": "128"}


@pytest.mark.stepforge_mock_case("HappyPath", file=MOCKS)
def test_a_mock_config_file_case_from_the_marker(stepforge: StepForge) -> None:
    machine = stepforge.load(LAMBDA_SQS)  # named after the file's only state machine
    run = machine.run({"hello": "world"})
    assert machine.name == "LambdaSQSIntegration" and run.status == "SUCCEEDED"
    assert run.output["MessageId"].startswith("3bcb6e8e") and run.path == ["LambdaState", "SQSState"]


@pytest.mark.stepforge_mock_case("HappyPath", file=MOCKS)
def test_other_cases_of_the_same_file_by_argument(stepforge: StepForge) -> None:
    machine = stepforge.load(LAMBDA_SQS)
    retried = machine.run(case="RetryPath")
    assert retried.status == "SUCCEEDED" and retried.retried == {"LambdaState": 3} and retried.seconds == 3
    hybrid = machine.run(case="HybridPath")  # SQSState is not mocked: its real resource is out of reach
    assert (hybrid.status, hybrid.error) == ("FAILED", "States.TaskFailed")


@pytest.mark.stepforge_mock_case("HappyPath", file=MOCKS)
def test_a_python_mock_wins_over_the_mock_config_file(stepforge: StepForge) -> None:
    stepforge.mock("SQSState", {"MessageId": "mine"})
    assert stepforge.load(LAMBDA_SQS).run().output == {"MessageId": "mine"}


def test_a_mock_config_file_given_by_the_test_keeps_its_python_mocks(stepforge: StepForge) -> None:
    stepforge.mock("SQSState", {"MessageId": "mine"})
    stepforge.mock_config(FILES / "lambda_sqs.mocks.json")
    run = stepforge.load(LAMBDA_SQS).run(case="RetryPath")
    assert run.retried == {"LambdaState": 3} and run.output == {"MessageId": "mine"}


def test_a_definition_loaded_again_keeps_its_text_and_a_changed_one_gets_a_new_one() -> None:
    definition: dict[str, Any] = {"StartAt": "Rest", "States": {"Rest": {"Type": "Wait", "Seconds": 1, "End": True}}}
    assert definition_text(definition) == json.dumps(definition)
    assert definition_text(definition) is definition_text(definition)  # made once
    definition["States"]["Rest"]["Seconds"] = 1.0  # equal to 1, but not the same definition
    assert definition_text(definition) == json.dumps(definition) and '"Seconds": 1.0' in definition_text(definition)


def test_a_definition_marshal_cannot_hold_is_still_written_as_json() -> None:
    class Ordered(dict[str, object]):
        pass

    definition = Ordered(StartAt="Done", States={"Done": {"Type": "Succeed"}})
    assert definition_text(definition) == json.dumps(definition)
