"""Distributed Map: the Map Run's ARN, drawn from the step's random source (any host of the module will do)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from stepforge.asl.compilation import states as st
from stepforge.asl.execution.distributed import map_run_arn


@dataclass
class Names:
    state_machine_arn: str = "arn:aws:states:eu-west-1:123456789012:stateMachine:Orders"
    state_machine_name: str = "Orders"


@dataclass
class FakeHost:
    info: Names = field(default_factory=Names)
    rng: random.Random = field(default_factory=lambda: random.Random(3))


def map_state(**fields: Any) -> st.MapState:
    return st.MapState(name="Fan", type="Map", processor=st.StateMachine("I", {}), **fields)


def test_the_arn_names_the_machine_the_label_and_a_drawn_uuid() -> None:
    first = map_run_arn(FakeHost(), map_state(label="Batch"))  # type: ignore[arg-type]
    again = map_run_arn(FakeHost(), map_state(label="Batch"))  # type: ignore[arg-type]
    assert first == again
    assert first.startswith("arn:aws:states:eu-west-1:123456789012:mapRun:Orders/Batch:")


def test_without_a_label_the_state_name_is_used() -> None:
    assert ":mapRun:Orders/Fan:" in map_run_arn(FakeHost(), map_state())  # type: ignore[arg-type]
