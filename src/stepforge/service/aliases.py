"""State machine aliases: a name routing executions to one or two versions by weight."""

from __future__ import annotations

import re
from typing import Any

from stepforge.service import versions
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import ConflictException, InvalidArn, InvalidName, ValidationException
from stepforge.service.params import listing, optional_str, required_str
from stepforge.store.records import AliasRecord

MAX_ALIASES = 100
_ALIAS_NAME = re.compile(r"(?=.*[a-zA-Z_\-.])[a-zA-Z0-9_\-.]{1,80}\Z")


def _routing(ctx: ServiceContext, machine_arn: str, value: Any) -> list[dict[str, Any]]:
    """Check a routingConfiguration: 1-2 distinct versions of this machine, weights summing to 100."""
    routes = [{"stateMachineVersionArn": r["stateMachineVersionArn"], "weight": r["weight"]} for r in value]
    seen = {r["stateMachineVersionArn"] for r in routes}
    if len(seen) != len(routes):
        raise ValidationException("Routing configuration must contain distinct state machine version ARNs")
    if sum(r["weight"] for r in routes) != 100:
        raise ValidationException("Sum of routing configuration weights must be equal to 100")
    for route in routes:
        arn = route["stateMachineVersionArn"]
        base, qualifier = versions.split(arn)
        if base != machine_arn or qualifier is None or not qualifier.isdigit():
            raise ValidationException(f"Routing configuration must contain state machine version ARNs of "
                                      f"'{machine_arn}': '{arn}'")
        if ctx.store.get_version(arn) is None:
            raise versions.not_found(arn)
    return routes


def _alias(ctx: ServiceContext, arn: str) -> AliasRecord:
    _, qualifier = versions.split(arn)
    if qualifier is None or qualifier.isdigit():
        raise InvalidArn(f"Invalid Arn: 'Alias ARN expected: {arn}'")
    record = ctx.store.get_alias(arn)
    if record is None:
        raise versions.not_found(arn)
    return record


def create(ctx: WriteContext, req: Request) -> dict[str, Any]:
    name = required_str(req.params, "name")
    if not _ALIAS_NAME.match(name):
        raise InvalidName(f"Invalid Name: '{name}'")
    version_arns = [r.get("stateMachineVersionArn") for r in req.params["routingConfiguration"]]  # type: ignore
    base, _ = versions.split(str(version_arns[0]))
    machine = versions.machine(ctx, base, allow_deleting=False)
    routing = _routing(ctx, machine.arn, req.params["routingConfiguration"])
    description = optional_str(req.params, "description") or ""
    arn = f"{machine.arn}:{name}"
    existing = ctx.store.get_alias(arn)
    if existing is not None:
        if (existing.routing, existing.description) == (routing, description):
            return {"stateMachineAliasArn": arn, "creationDate": existing.created}
        raise ConflictException(f"Failed to create alias because an alias with the same name and a "
                                f"different routing configuration already exists: '{arn}'")
    if len(ctx.store.list_aliases(machine.arn)) >= MAX_ALIASES:
        raise ConflictException(f"Maximum number of aliases ({MAX_ALIASES}) reached for '{machine.arn}'")
    now = ctx.engine.clock.now()
    ctx.store.put_alias(AliasRecord(arn, machine.arn, name, routing, now, now, description))
    return {"stateMachineAliasArn": arn, "creationDate": now}


def describe(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    record = _alias(ctx, required_str(req.params, "stateMachineAliasArn"))
    response = {"stateMachineAliasArn": record.arn, "name": record.name, "routingConfiguration": record.routing,
                "creationDate": record.created, "updateDate": record.updated}
    if record.description:
        response["description"] = record.description
    return response


def update(ctx: WriteContext, req: Request) -> dict[str, Any]:
    record = _alias(ctx, required_str(req.params, "stateMachineAliasArn"))
    description = optional_str(req.params, "description")
    routing = req.params.get("routingConfiguration")
    if description is None and routing is None:
        raise ValidationException("Either the description or the routingConfiguration must be specified")
    versions.machine(ctx, record.machine_arn, allow_deleting=False)
    if routing is not None:
        record.routing = _routing(ctx, record.machine_arn, routing)
    if description is not None:
        record.description = description
    record.updated = ctx.engine.clock.now()
    ctx.store.put_alias(record)
    return {"updateDate": record.updated}


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    base, qualifier = versions.split(required_str(req.params, "stateMachineArn"))
    if qualifier is not None:
        raise InvalidArn(f"Invalid Arn: 'Unqualified state machine ARN expected: {base}:{qualifier}'")
    machine = versions.machine(ctx, base, allow_deleting=False)
    return listing("stateMachineAliases", ctx.store.list_aliases(machine.arn), req.params,
                   lambda a: {"stateMachineAliasArn": a.arn, "creationDate": a.created})


def delete(ctx: WriteContext, req: Request) -> dict[str, Any]:
    record = _alias(ctx, required_str(req.params, "stateMachineAliasArn"))
    ctx.store.delete_alias(record.arn)
    return {}
