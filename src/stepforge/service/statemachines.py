"""State machines: create, describe, list, update, delete, validate."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from stepforge.asl import errors
from stepforge.asl.records import Stop
from stepforge.asl.validation import validator
from stepforge.asl.validation.references import variable_references
from stepforge.service import arns, configs, tags, versions
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.definitions import check_definition
from stepforge.service.errors import (
    InvalidArn,
    MissingRequiredParameter,
    StateMachineAlreadyExists,
    StateMachineDeleting,
    StateMachineDoesNotExist,
    ValidationException,
)
from stepforge.service.params import answer, optional_int, optional_str, required_str, store_page
from stepforge.store.base import ExecutionQuery
from stepforge.store.records import StateMachineRecord
from stepforge.tasks import reach

MAX_DEFINITION = 1024 * 1024
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+\Z", re.ASCII)
TYPES = ("STANDARD", "EXPRESS")


def validate(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ValidateStateMachineDefinition: the result and AWS's diagnostics, never an InvalidDefinition."""
    params = req.params
    definition = required_str(params, "definition", max_length=MAX_DEFINITION)
    kind = _enum(params, "type", TYPES) or "STANDARD"
    severity = _enum(params, "severity", ("ERROR", "WARNING")) or "ERROR"
    max_results = optional_int(params, "maxResults", minimum=0, maximum=100) or 100
    report = validator.validate(definition, max_results=max_results, machine_type=kind, severity=severity,
                                reachable=_reachable(ctx))
    return {"result": report.result, "diagnostics": [d.to_api() for d in report.diagnostics],
            "truncated": report.truncated}


def _reachable(ctx: ServiceContext) -> Callable[[str], bool]:
    """Whether this server's task configuration reaches a resource (for the validator's WARNINGs)."""
    config = ctx.engine.dispatcher.config
    return lambda resource: reach.reaches(config, resource)


def _enum(params: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = optional_str(params, key)
    if value is not None and value not in allowed:
        raise ValidationException(f"Value '{value}' at '{key}' failed to satisfy constraint: "
                                  f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def create(ctx: WriteContext, req: Request) -> dict[str, Any]:
    params = req.params
    name = arns.check_name(required_str(params, "name"))
    definition = required_str(params, "definition", max_length=MAX_DEFINITION)
    role_arn = _role_arn(required_str(params, "roleArn", max_length=256))
    kind = _enum(params, "type", TYPES) or "STANDARD"
    publish = params.get("publish") is True
    if params.get("versionDescription") is not None and not publish:
        raise ValidationException("Version description can only be set when publish is true")
    check_definition(definition, kind)
    arn = arns.build(req.region, ctx.account, "stateMachine", name)
    record = StateMachineRecord(
        arn=arn, name=name, definition=definition, role_arn=role_arn, type=kind,
        created=ctx.engine.clock.now(), revision_id=_revision(definition, role_arn),
        tags=tags.parse(params.get("tags")),
        logging_configuration=configs.logging(params) or dict(configs.DEFAULT_LOGGING),
        tracing_configuration=configs.tracing(params) or dict(configs.DEFAULT_TRACING),
        encryption_configuration=configs.encryption(params) or dict(configs.DEFAULT_ENCRYPTION),
    )
    tags.check_count(arn, record.tags)
    versions.purge_if_idle(ctx, arn)  # a machine marked DELETING that nothing runs on makes way
    existing = ctx.store.get_state_machine(arn)
    if existing is not None:
        return _existing(ctx, existing, record, publish)
    ctx.store.put_state_machine(record)
    response: dict[str, Any] = {"stateMachineArn": arn, "creationDate": record.created}
    if publish:
        response["stateMachineVersionArn"] = versions.publish(
            ctx, record, optional_str(params, "versionDescription")).arn
    return response


def _existing(ctx: WriteContext, existing: StateMachineRecord, wanted: StateMachineRecord,
              publish: bool) -> dict[str, Any]:
    """CreateStateMachine is idempotent: the same settings answer the existing machine."""
    if existing.status == "DELETING":
        raise StateMachineDeleting(f"State machine is being deleted: '{existing.arn}'")
    same = ("definition", "role_arn", "type", "logging_configuration", "tracing_configuration")
    if any(getattr(existing, key) != getattr(wanted, key) for key in same):
        raise StateMachineAlreadyExists(f"State Machine Already Exists: '{existing.arn}'")
    response: dict[str, Any] = {"stateMachineArn": existing.arn, "creationDate": existing.created}
    if publish:
        response["stateMachineVersionArn"] = versions.publish(ctx, existing, None).arn
    return response


def get(ctx: ServiceContext, arn: str) -> StateMachineRecord:
    """The state machine with this (unqualified) ARN, or StateMachineDoesNotExist."""
    base, qualifier = versions.split(arn)
    if qualifier is not None:
        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
    return versions.machine(ctx, base)


def describe(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    arn = required_str(req.params, "stateMachineArn")
    base, qualifier = versions.split(arn)
    record = versions.machine(ctx, base)
    if qualifier is not None:
        version = ctx.store.get_version(arn) if qualifier.isdigit() else None
        if version is None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        response = versions.describe_version(version, record)
    else:
        response = {
            "stateMachineArn": record.arn, "name": record.name, "status": record.status,
            "definition": record.definition, "roleArn": record.role_arn, "type": record.type,
            "creationDate": record.created, "loggingConfiguration": record.logging_configuration,
            "tracingConfiguration": record.tracing_configuration, "revisionId": record.revision_id,
            "encryptionConfiguration": record.encryption_configuration,
        }
    response.update(_variable_references(response["definition"]))
    if req.params.get("includedData") == "METADATA_ONLY":
        response.pop("definition")
    return response


def _variable_references(definition: str) -> dict[str, Any]:
    references = variable_references(json.loads(definition))
    return {} if references is None else {"variableReferences": references}


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ListStateMachines: one page of the ACTIVE machines read from the store, oldest first."""
    found, token = store_page("stateMachines", req.params, lambda after, limit: ctx.store.list_state_machines(
        status="ACTIVE", after=after, limit=limit))
    return answer("stateMachines", [{"stateMachineArn": r.arn, "name": r.name, "type": r.type,
                                     "creationDate": r.created} for r in found], token)


def delete(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """Mark the machine DELETING; it goes (with its versions and aliases) once nothing runs on it."""
    base, qualifier = versions.split(required_str(req.params, "stateMachineArn"))
    if qualifier is not None:
        raise ValidationException("Use DeleteStateMachineVersion or DeleteStateMachineAlias to delete a "
                                  f"version or an alias: '{base}:{qualifier}'")
    record = ctx.store.get_state_machine(base)
    if record is None:
        return {}
    record.status = "DELETING"
    ctx.store.put_state_machine(record)
    stopped = _stop_running(ctx, record)
    versions.purge_if_idle(ctx, base)
    if stopped:
        ctx.engine.notify()
    return {}


#: Stop signals sent per store page while DeleteStateMachine ends a machine's executions.
_STOP_PAGE = 500


def _stop_running(ctx: WriteContext, record: StateMachineRecord) -> int:
    """Fail the machine's running executions with AWS's error and cause (``States.Runtime``, "State
    machine NAME has been deleted."). Returns how many were told.

    AWS fails them at their next state transition; here they fail at the engine's next step, even
    inside a long Wait or task, so a delete (``terraform destroy``) never waits on one."""
    query = ExecutionQuery(state_machine_arn=record.arn, status="RUNNING")
    signal = Stop(errors.RUNTIME, f"State machine {record.name} has been deleted.", failed=True)
    count, after = 0, None
    while True:
        page = ctx.store.list_executions(query, after=after, limit=_STOP_PAGE)
        for execution in page.items:
            ctx.store.push_signal(execution.arn, signal)
        count += len(page.items)
        if page.next is None:
            return count
        after = page.next


def update(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """UpdateStateMachine: running executions keep the definition they started with (their snapshot)."""
    params = req.params
    base, qualifier = versions.split(required_str(params, "stateMachineArn"))
    if qualifier is not None:
        raise ValidationException(f"Versions and aliases cannot be updated: '{base}:{qualifier}'")
    publish = params.get("publish") is True
    if params.get("versionDescription") is not None and not publish:
        raise ValidationException("Version description can only be set when publish is true")
    changes = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration", "encryptionConfiguration")
    if all(params.get(key) is None for key in changes) and not publish:
        raise MissingRequiredParameter("Either the definition, the roleArn, the loggingConfiguration, the "
                                       "tracingConfiguration or the encryptionConfiguration must be specified")
    record = versions.machine(ctx, base, allow_deleting=False)
    _apply_update(record, params)
    ctx.store.put_state_machine(record)
    response: dict[str, Any] = {"updateDate": ctx.engine.clock.now(), "revisionId": record.revision_id}
    if publish:
        version = versions.publish(ctx, record, optional_str(params, "versionDescription"))
        response["stateMachineVersionArn"] = version.arn
    return response


def _apply_update(record: StateMachineRecord, params: Mapping[str, Any]) -> None:
    definition = optional_str(params, "definition", max_length=MAX_DEFINITION)
    if definition is not None:
        check_definition(definition, record.type)
        record.definition = definition
    role_arn = optional_str(params, "roleArn")
    record.role_arn = _role_arn(role_arn) if role_arn else record.role_arn
    record.logging_configuration = configs.logging(params) or record.logging_configuration
    record.tracing_configuration = configs.tracing(params) or record.tracing_configuration
    record.encryption_configuration = configs.encryption(params) or record.encryption_configuration
    record.revision_id = _revision(record.definition, record.role_arn)


def _role_arn(text: str) -> str:
    """An IAM role ARN (``arn:aws:iam::123456789012:role/name``), else AWS's InvalidArn."""
    if not _ROLE_ARN.match(text):
        raise InvalidArn(f"Invalid Role Arn: '{text}'")
    return text


def _revision(definition: str, role_arn: str) -> str:
    digest = hashlib.sha256(json.dumps([definition, role_arn]).encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))

