"""The approval's tests: the ``stepforge`` fixture comes from stepforge's pytest plugin."""

from __future__ import annotations

from pathlib import Path

import approval_functions
import pytest

from stepforge.pytest_plugin import Machine, StepForge

DEFINITION = Path(__file__).parent / "human_approval.asl.json"


@pytest.fixture
def approval(stepforge: StepForge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Machine:
    monkeypatch.setenv("OUTBOX", str(tmp_path))
    stepforge.function("request-approval", approval_functions.request_approval)
    stepforge.function("carry-out", approval_functions.carry_out)
    return stepforge.load(DEFINITION)
