"""Checking a definition as CreateStateMachine does, once: the check is pure CPU and memoised.

A write (CreateStateMachine, UpdateStateMachine) runs inside the engine's batch; validating and
compiling a 1 MiB definition there would hold up every other write of the batch, and doing it on
the event loop would hold up every request. So the HTTP layer calls :func:`precheck` in a worker
thread before it queues the write, and the write's own :func:`check_definition` finds the
definition already checked. Only definitions that passed are remembered (by digest), so a refused
one is refused again with its message.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

from stepforge.asl.compilation.states import StateMachine
from stepforge.asl.validation import validator
from stepforge.asl.validation.validator import validate_source
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import InvalidDefinition
from stepforge.service.params import optional_str

#: How many checked definitions are remembered (digests only, not the text).
REMEMBERED = 1024

_checked: OrderedDict[bytes, None] = OrderedDict()
_lock = threading.Lock()


def check_definition(text: str, machine_type: str = "STANDARD") -> None:
    """Validate a definition as AWS does, then compile it; raise InvalidDefinition in AWS's form."""
    digest = hashlib.sha256(f"{machine_type}\n{text}".encode()).digest()
    with _lock:
        if digest in _checked:
            _checked.move_to_end(digest)
            return
    _check(text, machine_type)
    with _lock:
        _checked[digest] = None
        if len(_checked) > REMEMBERED:
            _checked.popitem(last=False)


def checked_machine(text: str, machine_type: str = "STANDARD") -> StateMachine:
    """Validate a definition and compile it (not memoised: TestState needs the compiled machine);
    raise InvalidDefinition in AWS's form."""
    checked = validator.validate_and_compile(text, machine_type=machine_type, severity="ERROR")
    if checked.machine is None:
        raise InvalidDefinition(checked.report.invalid_definition_message())
    return checked.machine


def _check(text: str, machine_type: str) -> None:
    checked_machine(text, machine_type)


def precheck(ctx: ServiceContext, req: Request) -> None:
    """Check the definition a CreateStateMachine/UpdateStateMachine request carries, ahead of its write.

    Reads only. Anything wrong besides the definition (a missing parameter, an unknown machine) is
    left for the write itself to report, so the error a client sees does not depend on this step.
    """
    definition = req.params.get("definition")
    if not isinstance(definition, str):
        return
    machine_type = _machine_type(ctx, req)
    if machine_type is not None:
        check_definition(definition, machine_type)


def _machine_type(ctx: ServiceContext, req: Request) -> str | None:
    arn = req.params.get("stateMachineArn")
    if isinstance(arn, str):  # UpdateStateMachine: the type is the machine's
        record = ctx.store.get_state_machine(arn)
        return None if record is None else record.type
    kind = optional_str(req.params, "type") or "STANDARD"
    return kind if kind in ("STANDARD", "EXPRESS") else None


def diagnostics(text: str, machine_type: str) -> dict[str, Any]:
    """Every finding of the validator (as ValidateStateMachineDefinition), each with the line and
    column of the source it points at (for the console's editor)."""
    report, positions = validate_source(text, machine_type=machine_type)
    found = []
    for diagnostic in report.diagnostics:
        line, column = diagnostic.position or positions.locate(diagnostic.location)
        found.append({**diagnostic.to_api(), "line": line, "column": column})
    return {"result": report.result, "truncated": report.truncated, "diagnostics": found}
