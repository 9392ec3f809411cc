"""Distributed Map in the interpreter: start a Map Run, and take its end.

A Distributed Map does not run its items as frames of the execution: the interpreter computes every
item's input (ItemSelector), records ``MapRunStarted`` and asks the engine, with a
:class:`StartMapRun` command, to run each item as a child execution. The frame then waits on the
Map Run; the engine wakes it with a :class:`MapRunEnded` signal once the run succeeded (results in
item order) or failed (States.ExceedToleratedFailureThreshold). Still pure: the Map Run's ARN draws
its UUID from the step's random source, and the ARN is recorded in the history and the frame.
"""

from __future__ import annotations

import random
import uuid
from typing import Any, Protocol

from stepforge.asl import errors
from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.items import ItemField
from stepforge.asl.errors import StatesError
from stepforge.asl.execution import flow, redrive_parts
from stepforge.asl.query.budget import Budget
from stepforge.asl.query.dataflow import select, to_json
from stepforge.asl.query.fields import Query
from stepforge.asl.records import (
    SUCCEEDED,
    Children,
    Event,
    Frame,
    MapRunEnded,
    RedriveMapRun,
    Run,
    StartMapRun,
    Step,
    Wait,
)
from stepforge.asl.scope import Scope


class MachineNames(Protocol):
    """The part of the execution's identity a Map Run's ARN is built from."""

    @property
    def state_machine_arn(self) -> str: ...

    @property
    def state_machine_name(self) -> str: ...


class Host(Protocol):
    """What this module needs from the interpreter's step (the interpreter passes itself)."""

    @property
    def info(self) -> MachineNames: ...

    @property
    def rng(self) -> random.Random: ...

    @property
    def step(self) -> Step: ...

    @property
    def run(self) -> Run: ...

    def item_input(self, frame: Frame, state: st.MapState, index: int) -> Any: ...

    def emit(self, frame: Frame | None, type_: str, key: str | None = None,
             details: dict[str, Any] | None = None) -> Event: ...

    def new_wait(self, frame: Frame, kind: Any, resource_kind: str = "") -> Wait: ...

    def children_succeeded(self, frame: Frame, state: st.State) -> None: ...

    def finish_output(self, frame: Frame, state: st.State, result: Any) -> None: ...

    def context(self, frame: Frame, state: st.State) -> dict[str, Any]: ...

    def handle_error(self, frame: Frame, state: st.State, exc: StatesError, failed_event: str | None = None) -> None: ...

#: What a failed Map Run's Map state fails with (as AWS).
THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"


def map_run_arn(stepper: Host, state: st.MapState) -> str:
    """``arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:UUID`` (Label, else the state's name)."""
    parts = stepper.info.state_machine_arn.split(":")
    region, account = (parts[3], parts[4]) if len(parts) > 4 else ("us-east-1", "000000000000")
    run_id = uuid.UUID(int=stepper.rng.getrandbits(128), version=4)
    label = state.label or state.name
    return f"arn:aws:states:{region}:{account}:mapRun:{stepper.info.state_machine_name}/{label}:{run_id}"


def plan(stepper: Host, frame: Frame, state: st.MapState, scope: Scope) -> dict[str, Any]:
    """ItemReader, ItemBatcher and ResultWriter evaluated with the state's (effective) input; with a
    reader, also what ItemSelector needs to shape the items once they are read."""
    found: dict[str, Any] = {}
    for key, field in (("reader", state.item_reader), ("batcher", state.item_batcher),
                       ("writer", state.result_writer)):
        if field is not None:
            found[key] = evaluate(field, scope, state.name)
    if state.item_reader is not None and (state.item_selector is not None or state.selector_query is not None):
        found["selector"] = {"input": scope.input, "context": stepper.context(frame, state),
                             "variables": dict(scope.variables)}
    return found


def evaluate(field: ItemField, scope: Scope, state_name: str) -> dict[str, Any]:
    """``{"Resource", "Parameters", "Config"}`` of an ItemReader/ItemBatcher/ResultWriter."""
    config = _value(field.config, scope, state_name) or {}
    for key, path in field.paths:
        config[key] = select(path, scope)
    return {"Resource": field.resource, "Parameters": _value(field.arguments, scope, state_name),
            "Config": config}


def _value(payload: Any, scope: Scope, state_name: str) -> Any:
    if payload is None:
        return None
    if isinstance(payload, Query):
        return payload.evaluate(scope, "Arguments", budget=Budget(state_name))
    return payload.evaluate(scope, Budget(state_name))


def shape(state: st.MapState, selector: dict[str, Any], index: int, item: Any) -> Any:
    """An item read by the ItemReader as its child's input: ItemSelector with ``$$.Map.Item``."""
    context = dict(selector["context"])
    context["Map"] = {"Item": {"Index": index, "Value": item}}
    scope = Scope(selector["input"], context, selector["variables"], random.Random(index))
    return flow.item_input(state, scope, item)


def launch(stepper: Host, frame: Frame, state: st.MapState, items: list[Any], effective: Any,
           concurrency: int, tolerated: tuple[int | None, float | None], scope: Scope) -> None:
    """Items' inputs, ``MapRunStarted``, and the command that starts the run's child executions
    (with an ItemReader, ``items`` is empty: the Map Run reads them)."""
    frame.children = Children(len(items), items, [None] * len(items), max_concurrency=concurrency,
                              tolerated_count=tolerated[0], tolerated_percentage=tolerated[1],
                              selector_input=effective)
    inputs = [to_json(stepper.item_input(frame, state, index)) for index in range(len(items))]
    found = plan(stepper, frame, state, scope.with_input(effective))
    arn = map_run_arn(stepper, state)
    frame.children.inputs, frame.children.results, frame.children.map_run = [], [], arn
    stepper.emit(frame, "MapRunStarted", "mapRunStartedEventDetails", {"mapRunArn": arn})
    wait = stepper.new_wait(frame, "children")
    wait.map_run_arn = arn
    stepper.step.commands.append(StartMapRun(wait.id, arn, frame.address + ((state.name, 0),), inputs,
                                             concurrency, tolerated[0], tolerated[1], found))


def ended(stepper: Host, frame: Frame, state: st.MapState, signal: MapRunEnded) -> None:
    """The Map Run ended: the Map state succeeds with its results, or fails (Retry/Catch apply)."""
    frame.wait = None
    if signal.status == SUCCEEDED and signal.output is not None:
        stepper.emit(frame, "MapRunSucceeded")
        frame.children = None
        stepper.emit(frame, "MapStateSucceeded")
        stepper.finish_output(frame, state, signal.output)
        return
    if signal.status == SUCCEEDED:
        stepper.emit(frame, "MapRunSucceeded")
        frame.children = Children(len(signal.results or []), [], list(signal.results or []))
        stepper.children_succeeded(frame, state)
        return
    if frame.children is not None and frame.children.map_run is not None:
        redrive_parts.keep_map_run(stepper.run, frame, frame.children.map_run)
    frame.children = None
    details = {k: v for k, v in (("error", signal.error), ("cause", signal.cause)) if v is not None}
    stepper.emit(frame, "MapRunFailed", "mapRunFailedEventDetails", details)
    error = StatesError(signal.error or errors.EXCEED_TOLERATED_FAILURE_THRESHOLD, signal.cause, located=False)
    stepper.handle_error(frame, state, error, failed_event="MapStateFailed")


def redrive(stepper: Host, frame: Frame, map_run_arn: str, redrive_count: int) -> None:
    """The execution is redriven at this Distributed Map: its failed Map Run runs again (only the
    items that did not succeed), as ``MapRunRedriven``; the frame waits on it as before."""
    stepper.emit(frame, "MapStateStarted", "mapStateStartedEventDetails", {"length": 0})
    stepper.emit(frame, "MapRunRedriven", "mapRunRedrivenEventDetails",
                 {"mapRunArn": map_run_arn, "redriveCount": redrive_count})
    frame.children = Children(0, [], [], map_run=map_run_arn)
    wait = stepper.new_wait(frame, "children")
    wait.map_run_arn = map_run_arn
    stepper.step.commands.append(RedriveMapRun(wait.id, map_run_arn))
