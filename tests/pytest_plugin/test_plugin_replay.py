"""Replaying a recorded history against a changed definition: the same way, or where it diverges."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from stepforge.pytest_plugin import StepForge, Throw
from stepforge.pytest_plugin.replay import replay

FILES = Path(__file__).parent / "files"
FN = "arn:aws:lambda:us-east-1:000000000000:function:"
PIPELINE: dict[str, Any] = {"StartAt": "Fetch", "States": {
    "Fetch": {"Type": "Task", "Resource": FN + "fetch", "Next": "Size?",
              "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 60}]},
    "Size?": {"Type": "Choice", "Choices": [{"Variable": "$.size", "NumericGreaterThan": 10, "Next": "Split"}],
              "Default": "Store"},
    "Split": {"Type": "Task", "Resource": FN + "split", "ResultPath": "$.parts", "Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 86400, "Next": "Store"},
    "Store": {"Type": "Task", "Resource": FN + "store", "End": True}}}


def recorded(stepforge: StepForge) -> list[dict[str, Any]]:
    """A finished execution's history, as GetExecutionHistory gives it."""
    stepforge.mock("Fetch", Throw("Busy"), {"size": 20})
    stepforge.mock("Split", [1, 2])
    stepforge.mock("Store", {"stored": True})
    run = stepforge.load(PIPELINE, name="pipeline").run({"id": 1})
    assert run.path == ["Fetch", "Size?", "Split", "Pause", "Store"]
    return run.events


def test_the_same_definition_replays_its_own_history(stepforge: StepForge) -> None:
    report = replay({"events": recorded(stepforge)}, PIPELINE)
    assert report.compatible and report.replayed_path == report.recorded_path
    assert (report.recorded_status, report.replayed_status) == ("SUCCEEDED", "SUCCEEDED")


def test_a_changed_choice_diverges_at_the_state_it_now_leaves_out(stepforge: StepForge) -> None:
    changed = copy.deepcopy(PIPELINE)
    changed["States"]["Size?"]["Choices"][0]["NumericGreaterThan"] = 100
    divergence = replay(recorded(stepforge), changed).divergence
    assert divergence is not None and (divergence.kind, divergence.recorded, divergence.replayed) == (
        "path", "Split", "Store")
    assert divergence.message.startswith("at step 3 (recorded event ")


def test_a_changed_result_path_diverges_at_the_input_it_changes(stepforge: StepForge) -> None:
    changed = copy.deepcopy(PIPELINE)
    changed["States"]["Split"]["ResultPath"] = "$.chunks"
    divergence = replay(recorded(stepforge), changed).divergence
    assert divergence is not None and divergence.kind == "input"
    assert divergence.recorded == ("Pause", {"size": 20, "parts": [1, 2]})
    assert divergence.replayed == {"size": 20, "chunks": [1, 2]}


def test_a_state_added_at_the_end_diverges_after_the_recording(stepforge: StepForge) -> None:
    changed = copy.deepcopy(PIPELINE)
    changed["States"]["Store"] = {**changed["States"]["Store"], "End": None, "Next": "Notify"}
    del changed["States"]["Store"]["End"]
    changed["States"]["Notify"] = {"Type": "Pass", "End": True}
    divergence = replay(recorded(stepforge), changed).divergence
    assert divergence is not None and (divergence.kind, divergence.replayed, divergence.event_id) == (
        "path", "Notify", None)


def test_an_aws_recording_in_flight_is_compatible_until_its_last_state() -> None:
    history = json.loads((FILES / "aws_history.json").read_text())
    definition = json.loads((FILES / "orders.asl.json").read_text())
    report = replay(history, definition)
    assert report.compatible and report.recorded_status == "RUNNING" and report.replayed_path[-1] == "Review"
    definition["States"]["Large?"]["Choices"][0]["NumericGreaterThan"] = 500
    divergence = replay(history, definition).divergence
    assert divergence is not None and divergence.event_id == 12 and divergence.replayed == "Ship"
