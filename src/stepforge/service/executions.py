"""Executions: start, describe, stop, list, history, and the definition an execution runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stepforge.asl.records import RUNNING, Event, Stop
from stepforge.service import arns, express, maprun, redrive, versions
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import (
    ApiError,
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionLimitExceeded,
    InvalidArn,
    InvalidExecutionInput,
    StateMachineTypeNotSupported,
    ValidationException,
)
from stepforge.service.params import (
    answer,
    optional_bool,
    optional_str,
    required_str,
    store_page,
    strict_json,
)
from stepforge.store import cursors
from stepforge.store.base import Conflict, ExecutionQuery
from stepforge.store.records import ExecutionRecord, Page, StateMachineRecord

MAX_INPUT = 256 * 1024


@dataclass(frozen=True, slots=True)
class Prepared:
    """A Start*Execution request resolved (machine, version or alias; name; input), nothing stored yet."""

    record: ExecutionRecord
    machine: StateMachineRecord

    @property
    def express(self) -> bool:
        return self.machine.type == "EXPRESS"


def start(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """StartExecution in one transaction: :func:`prepare` and store it, or for an EXPRESS machine
    :func:`stepforge.service.express.start` (which stores nothing)."""
    prepared = prepare(ctx, req)
    return express.start(ctx, prepared.record, prepared.machine) if prepared.express else _queue(ctx, prepared)


def known_type(ctx: ServiceContext, req: Request) -> str | None:
    """The type of the machine a Start*Execution names, if it was read a moment ago (no store read):
    what lets the API send a STANDARD start straight to the engine's batch."""
    arn = req.params.get("stateMachineArn")
    if not isinstance(arn, str) or "#" in arn:
        return None
    try:
        base, _ = versions.split(arn)
    except ApiError:
        return None
    record = ctx.engine.machines.peek(base, ctx.engine.clock.now())
    return None if record is None else record.type


def insert(ctx: WriteContext, prepared: Prepared) -> dict[str, Any]:
    """StartExecution of a STANDARD machine: store it and queue its start. Idempotent for a RUNNING
    execution of the same name and input. The machine is checked again in this transaction (it may
    have been deleted since :func:`prepare` read it)."""
    versions.machine(ctx, prepared.record.state_machine_arn, allow_deleting=False)
    return _queue(ctx, prepared)


def _queue(ctx: WriteContext, prepared: Prepared) -> dict[str, Any]:
    record = prepared.record
    existing = _insert(ctx, record, reuse=lambda found: found.status == RUNNING, batched=True)
    return {"executionArn": record.arn, "startDate": (existing or record).started}


def start_child(ctx: WriteContext, machine_arn: str, input_text: str, name: str) -> str:
    """StartExecution for a Task's ``states:startExecution``: the child's ARN.

    As the API does, it resolves versions and aliases, refuses machines being deleted and honours
    the open-execution quota. Unlike the API, a child of the same name and input is reused whatever
    its status: the engine may start a task twice (at-least-once) and must find the same child.
    """
    region = arns.parse(machine_arn, "stateMachine").region
    params: dict[str, object] = {"stateMachineArn": machine_arn, "input": input_text, "name": name}
    prepared = prepare(ctx, Request(params, region))
    if prepared.express:
        return express.start_child(ctx, prepared.record, prepared.machine)
    _insert(ctx, prepared.record, reuse=lambda found: True)
    return prepared.record.arn


def _insert(ctx: WriteContext, record: ExecutionRecord, reuse: Callable[[ExecutionRecord], bool], *,
            batched: bool = False) -> ExecutionRecord | None:
    """Store a new execution and queue its start; an existing one of the same name and input that
    ``reuse`` accepts is returned instead (any other is ExecutionAlreadyExists). The insert finds
    whether the name is taken (a name is almost always new: no read before it). ``batched``: the
    engine may write it with its first step (:meth:`~stepforge.engine.engine.Engine.insert_start`;
    not a child, whose parent's rows name it at once)."""
    if ctx.store.count_open_executions() + ctx.engine.unstored_count() >= ctx.max_open_executions:
        if (existing := _existing(ctx, record.arn)) is not None:
            return _reused(existing, record, reuse)
        raise ExecutionLimitExceeded(f"Execution Limit Exceeded: '{ctx.max_open_executions}' open executions")
    try:
        if batched:
            ctx.engine.insert_start(ctx.store, record)
        else:
            ctx.store.insert_execution(record)
            ctx.engine.queue_start(ctx.store, record)
    except Conflict:
        if (existing := _existing(ctx, record.arn)) is None:
            raise
        return _reused(existing, record, reuse)
    return None


def _existing(ctx: WriteContext, arn: str) -> ExecutionRecord | None:
    """The stored execution of that ARN, or one the engine's batch started and has not written yet."""
    return ctx.store.get_execution(arn, with_run=False) or ctx.engine.unstored(arn)


def _reused(existing: ExecutionRecord, record: ExecutionRecord,
            reuse: Callable[[ExecutionRecord], bool]) -> ExecutionRecord:
    if existing.input == record.input and reuse(existing):
        return existing
    raise ExecutionAlreadyExists(f"Execution Already Exists: '{record.arn}'")


def prepare(ctx: ServiceContext, req: Request, *, cached: bool = False) -> Prepared:
    """What a Start*Execution request asks for, before anything is written (a read: the API runs it in
    a worker thread, off the engine's batch). The record is not stored yet: an ``execution``
    ARN for a STANDARD machine, an ``express`` one (with a unique id, as AWS forms it) for EXPRESS.
    ``cached``: the machine maybe as read a moment ago (the API's front door, see
    :mod:`stepforge.engine.machine_cache`)."""
    machine_arn, test_case = _test_case(ctx, required_str(req.params, "stateMachineArn"))
    target = versions.resolve(ctx, machine_arn, cached=cached)
    name = arns.check_name(optional_str(req.params, "name") or arns.random_id())
    text = optional_str(req.params, "input", max_length=MAX_INPUT)
    text = "{}" if text is None else text
    try:
        strict_json(text)
    except ValueError as exc:
        message = str(exc) if text.strip() else "Invalid execution input."
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{message}'") from None
    machine = target.machine
    kind = "express" if machine.type == "EXPRESS" else "execution"
    parts = (machine.name, name) if kind == "execution" else (machine.name, name, arns.random_id())
    region = arns.parse(machine.arn, "stateMachine").region  # the machine's, whatever region the caller signs for
    return Prepared(ExecutionRecord(
        arn=arns.build(region, ctx.account, kind, *parts) + test_case, name=name, state_machine_arn=machine.arn,
        state_machine_name=machine.name, definition=target.definition, role_arn=target.role_arn, input=text,
        started=ctx.engine.clock.now(), version_arn=target.version.arn if target.version else None,
        alias_arn=target.alias.arn if target.alias else None,
    ), machine)


def _test_case(ctx: ServiceContext, machine_arn: str) -> tuple[str, str]:
    """``ARN#TestCase`` runs a MockConfigFile test case (as Step Functions Local) when mocks are configured."""
    head, hash_, case = machine_arn.partition("#")
    if not hash_ or ctx.engine.dispatcher.mocks is None:
        return machine_arn, ""
    return head, f"#{case}"


def get(ctx: ServiceContext, arn: str) -> ExecutionRecord:
    """An execution's record without its frames (what the API shows). An ``express`` ARN is refused
    with InvalidArn, as AWS refuses it, unless a Distributed Map's Map Run started it (its item row answers)."""
    kind = arns.parse(arn, "execution", "express").kind
    record = ctx.store.get_execution(arn, with_run=False)
    if kind == "express" and record is None:
        record = maprun.express_child(ctx, arn)
    if kind == "express" and (record is None or record.map_run_arn is None):
        raise InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")
    if record is None:
        raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{arn}'")
    return record


def describe(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    record = get(ctx, required_str(req.params, "executionArn"))
    response: dict[str, Any] = {
        "executionArn": record.arn, "stateMachineArn": record.state_machine_arn, "name": record.name,
        "status": record.status, "startDate": record.started, "input": record.input,
        "inputDetails": {"included": True}, **_redrive_fields(record),
    }
    if record.stopped is not None:
        response["stopDate"] = record.stopped
    if record.output is not None:
        response["output"] = record.output
        response["outputDetails"] = {"included": True}
    for key in ("error", "cause"):
        if getattr(record, key) is not None:
            response[key] = getattr(record, key)
    response.update(_links(record))
    if req.params.get("includedData") == "METADATA_ONLY":
        for key in ("input", "output", "inputDetails", "outputDetails"):
            response.pop(key, None)
    return response


def _links(record: ExecutionRecord) -> dict[str, Any]:
    links = {"stateMachineVersionArn": record.version_arn, "stateMachineAliasArn": record.alias_arn,
             "mapRunArn": record.map_run_arn}
    return {k: v for k, v in links.items() if v is not None}


def _redrive_fields(record: ExecutionRecord) -> dict[str, Any]:
    status, reason = redrive.status(record)
    fields: dict[str, Any] = {"redriveCount": record.redrive_count, "redriveStatus": status}
    if reason is not None:
        fields["redriveStatusReason"] = reason
    if record.redrive_date is not None:
        fields["redriveDate"] = record.redrive_date
    return fields


def describe_state_machine(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """DescribeStateMachineForExecution: the definition the execution runs (its snapshot)."""
    record = get(ctx, required_str(req.params, "executionArn"))
    machine = ctx.store.get_state_machine(record.state_machine_arn)
    version = ctx.store.get_version(record.version_arn) if record.version_arn else None
    response: dict[str, Any] = {
        "stateMachineArn": record.version_arn or record.state_machine_arn, "name": record.state_machine_name,
        "definition": record.definition, "roleArn": record.role_arn,
        "updateDate": version.created if version else (machine.created if machine else record.started),
        "loggingConfiguration": machine.logging_configuration if machine else {"level": "OFF"},
        "tracingConfiguration": machine.tracing_configuration if machine else {"enabled": False},
        "revisionId": version.revision_id if version else (machine.revision_id if machine else ""),
    }
    if record.map_run_arn is not None:
        response["mapRunArn"] = record.map_run_arn
    if req.params.get("includedData") == "METADATA_ONLY":
        response.pop("definition")
    return response


def stop(ctx: WriteContext, req: Request) -> dict[str, Any]:
    record = get(ctx, required_str(req.params, "executionArn"))
    error = optional_str(req.params, "error", max_length=256)
    cause = optional_str(req.params, "cause", max_length=32768)
    if record.status == RUNNING:
        ctx.store.push_signal(record.arn, Stop(error, cause))
        ctx.engine.notify()
    return {"stopDate": ctx.engine.clock.now()}


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ListExecutions: one page read from the store, newest first."""
    params = req.params
    machine_arn, map_run_arn = optional_str(params, "stateMachineArn"), optional_str(params, "mapRunArn")
    if (machine_arn is None) == (map_run_arn is None):
        raise ValidationException("Must provide a StateMachine ARN or a MapRun ARN")
    status = optional_str(params, "statusFilter")
    redriven = optional_str(params, "redriveFilter")
    if map_run_arn is not None and (listed := maprun.express_children(ctx, map_run_arn, status, params)):
        return answer("executions", [_summary(r) for r in listed[0]], listed[1])
    if map_run_arn is not None:
        query = maprun.executions_query(ctx, map_run_arn, status)
    else:
        query = _machine_query(ctx, str(machine_arn), status)
    if redriven is not None:
        query = dataclasses.replace(query, redriven=redriven == "REDRIVEN")
    found, token = store_page("executions", params,
                              lambda after, limit: ctx.store.list_executions(query, after=after, limit=limit))
    return answer("executions", [_summary(r) for r in found], token)


def _machine_query(ctx: ServiceContext, arn: str, status: str | None) -> ExecutionQuery:
    """Which executions a state machine, version or alias ARN lists (checking that it exists)."""
    base, qualifier = versions.split(arn)
    machine = versions.machine(ctx, base)
    if machine.type == "EXPRESS":
        raise StateMachineTypeNotSupported("This operation is not supported by this type of state machine")
    query = ExecutionQuery(state_machine_arn=machine.arn, status=status)
    if qualifier is None:
        return query
    if qualifier.isdigit():
        if ctx.store.get_version(arn) is None:
            raise versions.not_found(arn)
        return dataclasses.replace(query, version_arn=arn)
    if ctx.store.get_alias(arn) is None:
        raise versions.not_found(arn)
    return dataclasses.replace(query, alias_arn=arn)


def _summary(record: ExecutionRecord) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "executionArn": record.arn, "stateMachineArn": record.state_machine_arn, "name": record.name,
        "status": record.status, "startDate": record.started, "redriveCount": record.redrive_count,
        **_links(record),
    }
    if record.stopped is not None:
        summary["stopDate"] = record.stopped
    if record.redrive_date is not None:
        summary["redriveDate"] = record.redrive_date
    return summary


def history(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """GetExecutionHistory: one page of events, read by event id (the cursor is the last id shown)."""
    record = get(ctx, required_str(req.params, "executionArn"))
    if record.map_run_arn is not None and ":express:" in record.arn:  # EXPRESS children keep no history
        raise InvalidArn("Invalid Arn: 'Resource type not valid in this context: express'")
    reverse = optional_bool(req.params, "reverseOrder")
    items, token = store_page("history", req.params, lambda after, limit: _events(ctx, record.arn, after, limit,
                                                                                   reverse))
    include_data = req.params.get("includeExecutionData", True) is not False
    return answer("events", [_shaped(e, include_data) for e in items], token)


def _events(ctx: ServiceContext, arn: str, after: str | None, limit: int, reverse: bool) -> Page[Event]:
    last = 0 if after is None else int(cursors.decode(after, int)[0])
    events = ctx.store.get_events(arn, last, limit + 1, reverse)
    more = len(events) > limit > 0
    return Page(events[:limit], cursors.encode(events[limit - 1].id) if more else None)


def _shaped(event: Event, include_data: bool) -> dict[str, Any]:
    shaped = event.to_api()
    if not include_data and event.details_key is not None and event.details:
        shaped[event.details_key] = {
            k: v for k, v in event.details.items() if k not in ("input", "output", "parameters")
        }
    return shaped
