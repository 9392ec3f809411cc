"""The video pipeline's tests: the ``stepforge`` fixture comes from stepforge's pytest plugin."""

from __future__ import annotations

from pathlib import Path

import pytest
import video_functions

from stepforge.pytest_plugin import Machine, StepForge

DEFINITION = Path(__file__).parent / "video_pipeline.asl.yaml"


@pytest.fixture
def pipeline(stepforge: StepForge) -> Machine:
    """The pipeline with its Python functions registered (Publish, an SNS call, is left to each test)."""
    stepforge.function("split", video_functions.split)
    stepforge.function("start-encode", video_functions.start_encode)
    stepforge.function("check-encode", video_functions.check_encode)
    stepforge.function("archive", video_functions.archive)
    return stepforge.load(DEFINITION)
