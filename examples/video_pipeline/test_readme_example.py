"""The README's example, kept true: the fixture in ten lines."""

from pathlib import Path

from stepforge.pytest_plugin import Return, StepForge, Throw

HERE = Path(__file__).parent


def test_a_busy_encoder_is_retried_and_the_video_published(stepforge: StepForge) -> None:
    pipeline = stepforge.load(HERE / "video_pipeline.asl.yaml")  # JSON, YAML, or a template: resource="Id"
    stepforge.function("split", lambda event, context: event)   # a Python function as a Lambda function
    stepforge.mock("StartEncode", Throw("Encoder.Busy"), Return({"Payload": {"wait": 60}}))  # per attempt
    stepforge.mock("CheckEncode", {"status": "DONE", "output": "talk.encoded.mp4"})
    stepforge.mock("Publish", {"MessageId": "1"})
    stepforge.mock("Archive", {"archived": True})
    run = pipeline.start({"video": "talk.mp4"}).until("Review")  # jump the clock until it waits on the activity
    run.succeed("Review", {"approved": True}).finish()          # answer it, run to the end: a year later
    assert run.status == "SUCCEEDED" and run.retried == {"StartEncode": 1} and run.seconds > 365 * 86400
