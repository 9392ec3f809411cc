"""State machines: create, describe, list, delete."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from stepforge.asl import validator
from stepforge.asl.compiler import compile_definition
from stepforge.asl.errors import DefinitionError
from stepforge.asl.references import variable_references
from stepforge.service import arns
from stepforge.service.context import Request, ServiceContext
from stepforge.service.errors import (
    InvalidDefinition,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
    ValidationException,
)
from stepforge.service.params import optional_int, optional_str, page, required_str
from stepforge.store.records import StateMachineRecord

MAX_DEFINITION = 1024 * 1024
TYPES = ("STANDARD", "EXPRESS")


def check_definition(text: str, machine_type: str = "STANDARD") -> None:
    """Validate a definition as AWS does, then compile it; raise InvalidDefinition in AWS's form."""
    report = validator.validate(text, machine_type=machine_type, severity="ERROR")
    if report.result == "FAIL":
        raise InvalidDefinition(report.invalid_definition_message())
    try:
        compile_definition(text)
    except DefinitionError as exc:
        raise InvalidDefinition(
            f"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: {exc.message} at {exc.path or '/'}'"
        ) from None
    except RecursionError:
        raise InvalidDefinition("Invalid State Machine Definition: 'Definition is nested too deeply'") from None


def validate(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ValidateStateMachineDefinition: the result and AWS's diagnostics, never an InvalidDefinition."""
    params = req.params
    definition = required_str(params, "definition", max_length=MAX_DEFINITION)
    kind = _enum(params, "type", TYPES) or "STANDARD"
    severity = _enum(params, "severity", ("ERROR", "WARNING")) or "ERROR"
    max_results = optional_int(params, "maxResults", minimum=0, maximum=100) or 100
    report = validator.validate(definition, max_results=max_results, machine_type=kind, severity=severity)
    return {"result": report.result, "diagnostics": [d.to_api() for d in report.diagnostics],
            "truncated": report.truncated}


def _enum(params: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = optional_str(params, key)
    if value is not None and value not in allowed:
        raise ValidationException(f"Value '{value}' at '{key}' failed to satisfy constraint: "
                                  f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def create(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    params = req.params
    name = arns.check_name(required_str(params, "name"))
    definition = required_str(params, "definition", max_length=MAX_DEFINITION)
    role_arn = required_str(params, "roleArn", max_length=256)
    kind = optional_str(params, "type") or "STANDARD"
    if kind not in TYPES:
        raise ValidationException(f"Value '{kind}' at 'type' failed to satisfy constraint: "
                                  "Member must satisfy enum value set: [STANDARD, EXPRESS]")
    if params.get("versionDescription") is not None and params.get("publish") is not True:
        raise ValidationException("Version description can only be set when publish is true")
    check_definition(definition, kind)
    arn = arns.build(req.region, ctx.account, "stateMachine", name)
    existing = ctx.store.get_state_machine(arn)
    if existing is not None:
        if (existing.definition, existing.role_arn, existing.type) == (definition, role_arn, kind):
            return {"stateMachineArn": arn, "creationDate": existing.created}
        raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
    record = StateMachineRecord(
        arn=arn, name=name, definition=definition, role_arn=role_arn, type=kind,
        created=ctx.engine.clock.now(), revision_id=_revision(definition, role_arn),
        tags=_tags(params.get("tags")),
    )
    for key in ("loggingConfiguration", "tracingConfiguration"):
        if isinstance(params.get(key), dict):
            setattr(record, key[:-13] + "_configuration", params[key])
    ctx.store.put_state_machine(record)
    return {"stateMachineArn": arn, "creationDate": record.created}


def get(ctx: ServiceContext, arn: str) -> StateMachineRecord:
    arns.parse(arn, "stateMachine")
    record = ctx.store.get_state_machine(arn)
    if record is None:
        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
    return record


def describe(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    record = get(ctx, required_str(req.params, "stateMachineArn"))
    return {
        "stateMachineArn": record.arn, "name": record.name, "status": record.status,
        "definition": record.definition, "roleArn": record.role_arn, "type": record.type,
        "creationDate": record.created, "loggingConfiguration": record.logging_configuration,
        "tracingConfiguration": record.tracing_configuration, "revisionId": record.revision_id,
        **_variable_references(record.definition),
    }


def _variable_references(definition: str) -> dict[str, Any]:
    references = variable_references(json.loads(definition))
    return {} if references is None else {"variableReferences": references}


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    items, token = page(ctx.store.list_state_machines(), req.params)
    response: dict[str, Any] = {"stateMachines": [
        {"stateMachineArn": r.arn, "name": r.name, "type": r.type, "creationDate": r.created} for r in items
    ]}
    if token:
        response["nextToken"] = token
    return response


def delete(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    arn = required_str(req.params, "stateMachineArn")
    arns.parse(arn, "stateMachine")
    ctx.store.delete_state_machine(arn)
    return {}


def _revision(definition: str, role_arn: str) -> str:
    digest = hashlib.sha256(json.dumps([definition, role_arn]).encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


def _tags(value: object) -> dict[str, str]:
    tags = value if isinstance(value, list) else []
    return {str(t.get("key")): str(t.get("value", "")) for t in tags if isinstance(t, dict)}
