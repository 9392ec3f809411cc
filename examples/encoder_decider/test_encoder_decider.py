"""The encoder decider: the Choice picks the encoder (And: 4K *and* ProRes), the Wait lasts what the
encoder asks (SecondsPath), an overloaded encoder is retried with back-off, a running job is checked
again, a failed one fails the execution."""

from __future__ import annotations

import pytest

from stepforge.pytest_plugin import Machine, Return, StepForge, Throw


@pytest.mark.parametrize(("video", "encoder", "seconds"), [
    ("keynote.2160p.prores.mov", "Encode4K", 600),
    ("keynote.2160p.mp4", "EncodeHD", 120),   # 4K, but not ProRes: the And does not hold
    ("talk.1080p.mp4", "EncodeHD", 120),
    ("phone.480p.mp4", "EncodeSD", 30),
])
def test_the_encoder_is_chosen_by_resolution_and_codec(decider: Machine, video: str, encoder: str,
                                                        seconds: int) -> None:
    run = decider.run({"video": video})
    assert run.status == "SUCCEEDED"
    assert run.path == ["Probe", "Which encoder?", encoder, "WaitForEncoder", "Check", "Done?", "Encoded"]
    assert run.seconds == seconds
    assert run.output["state"] == "DONE"


def test_an_overloaded_encoder_is_retried_with_back_off(stepforge: StepForge, decider: Machine) -> None:
    busy = Throw("Encoder.Overloaded", "no free slot")
    stepforge.mock("EncodeHD", busy, busy, Return({"id": "job-x", "eta_seconds": 60}))
    run = decider.run({"video": "talk.1080p.mp4"})
    assert run.status == "SUCCEEDED" and run.state("EncodeHD").retries == 2
    assert run.seconds == 10 + 30 + 60


def test_an_encoder_that_stays_overloaded_fails_the_video(stepforge: StepForge, decider: Machine) -> None:
    stepforge.mock("Encode4K", *[Throw("Encoder.Overloaded")] * 4)
    run = decider.run({"video": "keynote.2160p.prores.mov"})
    assert (run.status, run.error) == ("FAILED", "Encoder.Overloaded")
    assert run.retried == {"Encode4K": 3} and run.seconds == 10 + 30 + 90


def test_a_running_job_is_waited_for_again(stepforge: StepForge, decider: Machine) -> None:
    stepforge.mock("Check", Return({"id": "job-1", "state": "RUNNING", "eta_seconds": 45}),
                   Return({"id": "job-1", "state": "DONE", "eta_seconds": 0}))
    run = decider.start({"video": "phone.480p.mp4"})
    run.advance(30)
    assert run.waiting() == ["WaitForEncoder"]  # the first check found it running: 45 s more
    run.advance(45).finish()
    assert run.status == "SUCCEEDED" and run.entered("Check") == 2 and run.seconds == 75


def test_a_failed_job_fails_the_execution(stepforge: StepForge, decider: Machine) -> None:
    stepforge.mock("Check", Return({"id": "job-1", "state": "ERROR"}))
    run = decider.run({"video": "phone.480p.mp4"})
    assert (run.status, run.error) == ("FAILED", "EncodingFailed")
