"""No handler runs on the event loop: while one request computes, the others are answered."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from api_kit import PASS, ROLE, Api, with_api

from stepforge.api import app as app_module
from stepforge.api import envelope
from stepforge.asl.validation import validator
from stepforge.service import definitions


class Gate:
    """Blocks the thread that calls :meth:`hold` until the test opens it (or a generous bound passes)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.opened_in_time: list[bool] = []

    def hold(self) -> None:
        self.entered.set()
        self.opened_in_time.append(self.opened.wait(10))

    async def until_entered(self) -> None:
        while not self.entered.is_set():
            await anyio.lowlevel.checkpoint()  # a worker thread sets it; give the loop back meanwhile


async def answered_while_held(api: Api, gate: Gate, slow: Any) -> list[str]:
    """Start ``slow`` (held by ``gate``), then ListStateMachines; returns the order they finished in."""
    finished: list[str] = []

    async def run_slow() -> None:
        await slow()
        finished.append("slow")

    async with anyio.create_task_group() as group:
        group.start_soon(run_slow)
        await gate.until_entered()
        assert await api.ok("ListStateMachines") == {"stateMachines": []}
        finished.append("list")
        gate.opened.set()
    assert gate.opened_in_time == [True]
    return finished


@with_api
async def test_validation_runs_off_the_loop(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    gate, validate = Gate(), validator.validate

    def slow_validate(*args: Any, **kwargs: Any) -> Any:
        gate.hold()
        return validate(*args, **kwargs)

    monkeypatch.setattr(validator, "validate", slow_validate)
    order = await answered_while_held(api, gate, lambda: api.ok("ValidateStateMachineDefinition", definition=PASS))
    assert order == ["list", "slow"]


@with_api
async def test_test_state_runs_off_the_loop(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    gate, check = Gate(), definitions.checked_machine

    def slow_check(*args: Any, **kwargs: Any) -> Any:
        gate.hold()
        return check(*args, **kwargs)

    monkeypatch.setattr("stepforge.service.teststate.checked_machine", slow_check)
    order = await answered_while_held(api, gate, lambda: api.ok("TestState", definition=PASS, roleArn=ROLE))
    assert order == ["list", "slow"]


@with_api
async def test_a_definition_is_checked_off_the_loop_before_its_write_and_only_once(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    gate, check, checked = Gate(), definitions._check, []

    def slow_check(text: str, machine_type: str) -> None:
        checked.append(text)
        gate.hold()
        check(text, machine_type)

    monkeypatch.setattr(definitions, "_check", slow_check)
    definition = PASS.replace('"P"', '"Once"')
    order = await answered_while_held(
        api, gate, lambda: api.ok("CreateStateMachine", name="m", definition=definition, roleArn=ROLE))
    assert order == ["list", "slow"]
    assert checked == [definition]  # the write found it checked
    assert [m["name"] for m in (await api.ok("ListStateMachines"))["stateMachines"]] == ["m"]


@with_api
async def test_a_refused_definition_is_refused_by_the_write_too(api: Api) -> None:
    response = await api.call("CreateStateMachine", name="bad", definition='{"StartAt": "X", "States": {}}',
                              roleArn=ROLE)
    assert (response.status_code, response.json()["__type"]) == (400, "com.amazonaws.states#InvalidDefinition")
    assert await api.ok("ListStateMachines") == {"stateMachines": []}


@with_api
async def test_a_large_body_is_parsed_and_a_read_answered_off_the_loop(api: Api,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    loop_thread, threads = threading.get_ident(), {}
    params, ok = app_module._params, envelope.ok

    def parse(body: bytes) -> Any:
        threads["parse"] = threading.get_ident()
        return params(body)

    def answer(payload: Any) -> Any:
        threads["answer"] = threading.get_ident()
        return ok(payload)

    monkeypatch.setattr(app_module, "_params", parse)
    monkeypatch.setattr(envelope, "ok", answer)
    padding = "x" * (app_module.LARGE_BODY_BYTES + 1)
    await api.ok("ValidateStateMachineDefinition", definition=PASS.replace('"P"', f'"{padding}"'))
    assert loop_thread not in threads.values() and set(threads) == {"parse", "answer"}
