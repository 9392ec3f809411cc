"""The layers below the service call it only through the ports it connects; they never import it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import stepforge
from stepforge.engine.engine import Engine
from stepforge.service import ports, statemachines
from stepforge.service.context import Request, ServiceContext
from stepforge.store.memory import MemoryStore
from stepforge.tasks.children import StartRefused
from stepforge.testing import Harness, write

SRC = Path(stepforge.__file__).parent
CHILD = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}'


def imported(package: str) -> set[str]:
    """Every stepforge module the modules of ``package`` import (at any depth of the code)."""
    found: set[str] = set()
    for path in (SRC / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("stepforge.")}


@pytest.mark.parametrize(("package", "above"), [
    ("tasks", ("stepforge.service", "stepforge.engine", "stepforge.api", "stepforge.console")),
    ("engine", ("stepforge.service", "stepforge.api", "stepforge.console")),
    ("service", ("stepforge.api", "stepforge.console")),
])
def test_a_layer_never_imports_the_layers_above_it(package: str, above: tuple[str, ...]) -> None:
    assert sorted(name for name in imported(package) if name.startswith(above)) == []


def test_connect_plugs_the_child_start_and_the_end_hook_into_the_engine() -> None:
    store = MemoryStore()
    engine = Engine(store)
    ctx = ServiceContext(store=store, engine=engine)
    with pytest.raises(StartRefused) as refused:
        engine.dispatcher.start_execution("arn:aws:states:us-east-1:000000000000:stateMachine:m", "{}", "n")
    assert refused.value.status == 503
    assert ports.connect(ctx) is ctx
    with pytest.raises(StartRefused) as refused:
        engine.dispatcher.start_execution("arn:aws:states:us-east-1:000000000000:stateMachine:m", "{}", "n")
    assert refused.value.code == "StateMachineDoesNotExist"
    assert engine.on_ended is not None


def test_a_child_is_named_in_the_region_of_its_machine() -> None:
    harness = Harness()
    request = Request({"name": "kid", "definition": CHILD, "roleArn": "arn:aws:iam::000000000000:role/x"}, "eu-west-1")
    machine = write(harness.store, lambda tx: statemachines.create(harness.ctx.within(tx), request))["stateMachineArn"]
    arn = harness.ctx.engine.dispatcher.start_execution(machine, "{}", "n1")
    assert arn == "arn:aws:states:eu-west-1:000000000000:execution:kid:n1"
