"""What schedules, rules and webhooks share: their errors, the names of the executions they start,
and starting one (recorded as started by its trigger, exactly once per name)."""

from __future__ import annotations

import hashlib
import logging
import time

from stepforge.service import arns, executions
from stepforge.service.context import Request, WriteContext
from stepforge.service.errors import ApiError, ExecutionAlreadyExists, ValidationException, _error
from stepforge.store.base import Conflict
from stepforge.store.trigger_records import TriggerStart

log = logging.getLogger(__name__)

#: Scheduler's and EventBridge's error names, with the HTTP status each service answers them with.
ResourceNotFound = _error("ResourceNotFoundException", 404)
RuleNotFound = _error("ResourceNotFoundException", 400)
Conflicting = _error("ConflictException", 409)
InvalidEventPattern = _error("InvalidEventPatternException")
#: The execution-name prefix kept from a trigger's name (the rest is the firing time and a digest).
NAME_PREFIX = 40


def execution_name(trigger_name: str, source_arn: str, when: float, *extra: str) -> str:
    """The execution a trigger starts for the firing (or event) at ``when``: the same trigger and
    time always give the same name, so a second start of one firing (another node, a retry) is refused."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    digest = hashlib.sha256("\n".join((source_arn, repr(when), *extra)).encode()).hexdigest()[:12]
    return f"{trigger_name[:NAME_PREFIX]}-{stamp}-{digest}"


def check_target(arn: object, where: str) -> str:
    """A target ARN a trigger may start: a state machine, version or alias (ValidationException otherwise)."""
    try:
        arns.parse(arn if isinstance(arn, str) else "", "stateMachine")
    except ApiError:
        raise ValidationException(f"{where}: {arn!r} is not a state machine ARN; stepforge's triggers start "
                                 "Step Functions executions only") from None
    return str(arn)


def start(ctx: WriteContext, source_arn: str, machine_arn: str, input_text: str, name: str) -> str | None:
    """Start ``machine_arn`` with ``input_text`` as execution ``name`` for trigger ``source_arn``, in a
    savepoint of ``ctx``'s transaction; the execution's ARN, or None when this firing was already
    started (the name exists) or the start is refused (logged: a deleted target must not stop a schedule)."""
    region = arns.parse(machine_arn, "stateMachine").region
    request = Request({"stateMachineArn": machine_arn, "input": input_text, "name": name}, region)
    try:
        with ctx.store.savepoint():
            existing = ctx.store.get_execution(arns.build(region, ctx.account, "execution",
                                                          arns.parse(machine_arn).name, name), with_run=False)
            if existing is not None:
                return None
            arn = str(executions.start(ctx, request)["executionArn"])
            ctx.store.add_trigger_start(TriggerStart(source_arn, arn, ctx.engine.clock.now()))
            return arn
    except (Conflict, ExecutionAlreadyExists):
        return None
    except ApiError as exc:
        log.warning("%s could not start %s: %s: %s", source_arn, machine_arn, exc.code, exc.message)
        return None
