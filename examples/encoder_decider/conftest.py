"""The encoder decider's tests: the ``stepforge`` fixture comes from stepforge's pytest plugin."""

from __future__ import annotations

from pathlib import Path

import encoder_functions
import pytest

from stepforge.pytest_plugin import Machine, StepForge

DEFINITION = Path(__file__).parent / "encoder_decider.asl.json"


@pytest.fixture
def decider(stepforge: StepForge) -> Machine:
    stepforge.function("probe", encoder_functions.probe)
    stepforge.function("encode", encoder_functions.encode)
    stepforge.function("check", encoder_functions.check)
    return stepforge.load(DEFINITION)
