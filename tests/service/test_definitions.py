"""A definition is checked once: the check ahead of a write makes the write's own check a lookup."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stepforge.service import definitions, statemachines
from stepforge.service.context import Request
from stepforge.service.errors import InvalidDefinition
from stepforge.testing import ROLE, Harness


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    check = definitions._check

    def counted(text: str, machine_type: str) -> None:
        seen.append((text, machine_type))
        check(text, machine_type)

    monkeypatch.setattr(definitions, "_check", counted)
    return seen


def definition(name: str) -> str:
    return json.dumps({"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}})


def test_a_checked_definition_is_not_checked_again(checks: list[tuple[str, str]]) -> None:
    text = definition("Twice")
    definitions.check_definition(text)
    definitions.check_definition(text)
    assert checks == [(text, "STANDARD")]
    definitions.check_definition(text, "EXPRESS")  # the type is part of what was checked
    assert checks[-1] == (text, "EXPRESS")


def test_a_refused_definition_is_refused_every_time(checks: list[tuple[str, str]]) -> None:
    text = json.dumps({"StartAt": "Nowhere", "States": {}})
    for _ in range(2):
        with pytest.raises(InvalidDefinition):
            definitions.check_definition(text)
    assert len(checks) == 2


def test_precheck_uses_the_type_of_the_machine_an_update_changes(checks: list[tuple[str, str]]) -> None:
    harness = Harness()
    created = harness.call(statemachines.create, name="fast", definition=definition("A"), roleArn=ROLE, type="EXPRESS")
    params: dict[str, Any] = {"stateMachineArn": created["stateMachineArn"], "definition": definition("B")}
    definitions.precheck(harness.ctx, Request(params, "us-east-1"))
    assert checks[-1] == (definition("B"), "EXPRESS")
    harness.call(statemachines.update, **params)
    assert [c for c in checks if c[0] == definition("B")] == [(definition("B"), "EXPRESS")]


def test_precheck_leaves_other_errors_to_the_write(checks: list[tuple[str, str]]) -> None:
    harness = Harness()
    definitions.precheck(harness.ctx, Request({"name": "x"}, "us-east-1"))  # no definition: the write says so
    definitions.precheck(harness.ctx, Request({"definition": definition("C"), "type": "BOGUS"}, "us-east-1"))
    assert checks == []
