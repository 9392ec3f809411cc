"""The snapshot manager's tests: the ``stepforge`` fixture comes from stepforge's pytest plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ebs_functions
import pytest

from stepforge.pytest_plugin import Machine, StepForge

DEFINITION = Path(__file__).parent / "ebs_snapshots.asl.json"


@pytest.fixture
def manager(stepforge: StepForge) -> Iterator[Machine]:
    """The machine with its functions registered, over an empty EC2 stand-in."""
    for name in ("snapshot", "tag", "prune", "report"):
        stepforge.function(name, getattr(ebs_functions, name))
    yield stepforge.load(DEFINITION)
    ebs_functions.SNAPSHOTS.clear()
    ebs_functions.REPORTS.clear()
