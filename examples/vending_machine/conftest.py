"""The vending machine's tests: the ``stepforge`` fixture comes from stepforge's pytest plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import vending_functions

from stepforge.pytest_plugin import Machine, StepForge

DEFINITION = Path(__file__).parent / "vending_machine.asl.json"


@pytest.fixture
def vending(stepforge: StepForge) -> Iterator[Machine]:
    """The machine with its functions registered and its stock as the module starts it."""
    stock = dict(vending_functions.STOCK)
    for name, handler in (("reserve", vending_functions.reserve), ("payment-status", vending_functions.payment_status),
                          ("dispense", vending_functions.dispense), ("put-back", vending_functions.put_back)):
        stepforge.function(name, handler)
    yield stepforge.load(DEFINITION)
    vending_functions.STOCK.clear()
    vending_functions.STOCK.update(stock)
