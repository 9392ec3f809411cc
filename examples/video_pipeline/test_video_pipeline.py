"""The video pipeline tested like code: its functions for real, SNS and the encoder mocked, a year in
milliseconds, a reviewer who answers or does not. ``pytest --stepforge-cov`` shows what is left."""

from __future__ import annotations

import pytest

from stepforge.pytest_plugin import Machine, Return, StepForge, Throw

YEAR = 365 * 86400
UPLOAD = {"video": "talk.mp4", "parts": 2, "polls": 2, "wait": 600}
ENCODED = ["WaitForEncode", "CheckEncode", "Encoded?"]


def test_an_upload_is_encoded_reviewed_published_and_archived_a_year_later(
        stepforge: StepForge, pipeline: Machine) -> None:
    stepforge.mock("Publish", Return({"MessageId": "m-1"}))
    run = pipeline.start(UPLOAD).until("Review")
    token, task = run.task("Review")
    assert task["output"] == "talk.encoded.mp4" and token
    run.succeed("Review", {"approved": True}).finish()
    assert run.status == "SUCCEEDED"
    assert run.path == ["Split", "StartEncode", *ENCODED, *ENCODED, "Review", "Publish", "KeepSources", "Archive"]
    assert run.output == {"archived": ["talk.mp4#0", "talk.mp4#1"], "output": "talk.encoded.mp4"}
    assert run.state("Publish").input["review"] == {"approved": True}
    assert run.seconds == 2 * 600 + YEAR


def test_the_clock_moves_by_hand_between_two_encoder_checks(stepforge: StepForge, pipeline: Machine) -> None:
    run = pipeline.start(UPLOAD)
    assert run.waiting() == ["WaitForEncode"]
    run.advance(599)
    assert run.path[-1] == "WaitForEncode"
    run.advance(1)
    assert run.path[-3:] == ["CheckEncode", "Encoded?", "WaitForEncode"]


def test_a_busy_encoder_is_retried_with_back_off(stepforge: StepForge, pipeline: Machine) -> None:
    busy = Throw("Encoder.Busy", "all encoders busy")
    stepforge.mock("StartEncode", busy, busy, busy, Return({"Payload": {**UPLOAD, "job": "j", "wait": 0}}))
    stepforge.mock("CheckEncode", Return({**UPLOAD, "status": "DONE", "output": "talk.encoded.mp4"}))
    run = pipeline.start(UPLOAD).until("Review")
    assert run.state("StartEncode").retries == 3
    assert run.seconds == 5 + 10 + 20


def test_an_encoder_that_stays_busy_fails_the_upload(stepforge: StepForge, pipeline: Machine) -> None:
    stepforge.mock("StartEncode", *[Throw("Encoder.Busy")] * 7)
    run = pipeline.run(UPLOAD)
    assert (run.status, run.error) == ("FAILED", "EncodeFailed")
    assert run.caught == [("StartEncode", "Encoder.Busy")] and run.retried == {"StartEncode": 6}
    assert run.seconds == 5 * (1 + 2 + 4 + 8 + 16 + 32)


def test_a_failed_encoding_goes_to_encode_failed(stepforge: StepForge, pipeline: Machine) -> None:
    stepforge.mock("CheckEncode", Return({"status": "FAILED"}))
    run = pipeline.run(UPLOAD)
    assert run.path[-2:] == ["Encoded?", "EncodeFailed"] and run.status == "FAILED"


def test_a_review_nobody_answers_in_two_days_publishes_anyway(stepforge: StepForge, pipeline: Machine) -> None:
    stepforge.mock("Publish", Return({"MessageId": "m-2"}))
    run = pipeline.run(UPLOAD)
    assert run.status == "SUCCEEDED" and run.caught == [("Review", "States.Timeout")]
    assert run.state("Publish").input["review"]["Error"] == "States.Timeout"


@pytest.mark.stepforge_mock_case("HappyPath")
def test_the_mock_config_files_happy_path(pipeline: Machine) -> None:
    run = pipeline.run({"video": "talk.mp4"})
    assert run.status == "SUCCEEDED" and run.path[-1] == "Archive"


@pytest.mark.parametrize(("case", "status", "retries"), [("EncoderBusy", "SUCCEEDED", 2), ("EncoderBroken", "FAILED", 6)])
def test_the_mock_config_files_other_cases(pipeline: Machine, case: str, status: str, retries: int) -> None:
    run = pipeline.run({"video": "talk.mp4"}, case=case)
    assert run.status == status and run.state("StartEncode").retries == retries
