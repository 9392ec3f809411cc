"""State machine versions: publish (on create/update or explicitly), list, delete; and resolving the
ARN an execution is started with (unqualified, version or alias) to what it runs."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any

from stepforge.service import arns
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import (
    ApiError,
    ConflictException,
    InvalidArn,
    ResourceNotFound,
    ServiceQuotaExceededException,
    StateMachineDeleting,
    StateMachineDoesNotExist,
)
from stepforge.service.params import listing, optional_str, required_str
from stepforge.store.base import ExecutionQuery, Reads
from stepforge.store.records import AliasRecord, StateMachineRecord, VersionRecord

MAX_VERSIONS = 1000


@dataclass(frozen=True, slots=True)
class Target:
    """What an ARN given to StartExecution runs: the machine, and the version/alias it went through."""

    machine: StateMachineRecord
    version: VersionRecord | None = None
    alias: AliasRecord | None = None

    @property
    def definition(self) -> str:
        return self.version.definition if self.version else self.machine.definition

    @property
    def role_arn(self) -> str:
        return self.version.role_arn if self.version else self.machine.role_arn


def split(arn: str) -> tuple[str, str | None]:
    """(unqualified state machine ARN, qualifier or None) of a state machine, version or alias ARN."""
    return _split(arn) if isinstance(arn, str) else _split.__wrapped__(arn)


@functools.lru_cache(maxsize=1024)
def _split(arn: str) -> tuple[str, str | None]:
    """:func:`split`, kept by ARN (every Start*Execution splits the ARN it names)."""
    parsed = arns.parse(arn, "stateMachine")
    name, _, qualifier = parsed.rest.partition(":")
    if ":" in qualifier:
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {arn}'")
    return arns.build(parsed.region, parsed.account, "stateMachine", name), qualifier or None


def machine(ctx: ServiceContext, arn: str, *, allow_deleting: bool = True, cached: bool = False) -> StateMachineRecord:
    """The state machine with this unqualified ARN. Reads only: one marked DELETING reads as gone once
    nothing runs on it (its rows go in :func:`purge_if_idle`, run by the writes that end its use).
    ``cached``: maybe as read a moment ago (``engine.machines``; the front door's Start*Execution)."""
    record = (ctx.engine.machines.get(arn, ctx.engine.clock.now(), ctx.store.get_state_machine) if cached
              else ctx.store.get_state_machine(arn))
    if record is None or gone(ctx, record):
        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
    if record.status == "DELETING" and not allow_deleting:
        raise StateMachineDeleting(f"State machine is being deleted: '{arn}'")
    return record


def gone(ctx: ServiceContext, record: StateMachineRecord) -> bool:
    """Does this machine read as deleted: marked DELETING, with nothing running on it any more?"""
    return record.status == "DELETING" and not _running(ctx, record.arn)


def _running(ctx: ServiceContext, machine_arn: str) -> bool:
    query = ExecutionQuery(state_machine_arn=machine_arn, status="RUNNING")
    return bool(ctx.store.list_executions(query, limit=1).items)


def deleting(store: Reads, machine_arn: str) -> bool:
    """Is the machine marked DELETING (to go once nothing runs on it)?"""
    record = store.get_state_machine(machine_arn)
    return record is not None and record.status == "DELETING"


def purge_if_idle(ctx: WriteContext, machine_arn: str) -> bool:
    """A write: delete a machine marked DELETING once nothing runs on it; True if it went.

    DeleteStateMachine calls it, and the engine (inside its batch, through the end hook that
    :mod:`stepforge.service.ports` connects) whenever an execution ends.
    """
    record = ctx.store.get_state_machine(machine_arn)
    if record is None or record.status != "DELETING" or _running(ctx, machine_arn):
        return False
    purge(ctx, record)
    return True


def purge(ctx: WriteContext, record: StateMachineRecord) -> None:
    """Delete a state machine with its versions and aliases."""
    for alias in ctx.store.list_aliases(record.arn):
        ctx.store.delete_alias(alias.arn)
    for version in ctx.store.list_versions(record.arn):
        ctx.store.delete_version(version.arn)
    ctx.store.delete_state_machine(record.arn)


def resolve(ctx: ServiceContext, arn: str, rng: random.Random | None = None, *, cached: bool = False) -> Target:
    """The target of a state machine, version or alias ARN; an alias picks a version by weight.
    ``cached``: the machine maybe as read a moment ago (see :func:`machine`)."""
    base, qualifier = split(arn)
    record = machine(ctx, base, allow_deleting=False, cached=cached)
    if qualifier is None:
        return Target(record)
    if qualifier.isdigit():
        version = ctx.store.get_version(arn)
        if version is None:
            raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
        return Target(record, version)
    alias = ctx.store.get_alias(arn)
    if alias is None:
        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
    chosen = _pick(alias.routing, rng or ctx.engine.rng)
    version = ctx.store.get_version(chosen)
    if version is None:
        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{chosen}'")
    return Target(record, version, alias)


def _pick(routing: list[dict[str, Any]], rng: random.Random) -> str:
    draw = rng.random() * 100
    for route in routing:
        draw -= route["weight"]
        if draw < 0:
            return str(route["stateMachineVersionArn"])
    return str(routing[-1]["stateMachineVersionArn"])


def publish(ctx: WriteContext, record: StateMachineRecord, description: str | None) -> VersionRecord:
    """Publish the machine's current revision, or return the latest version if it is that revision.

    The machine is held from here until the write commits (``hold_state_machine``): two nodes
    publishing it at once take turns, the second numbering its version after the first's (or finding
    its revision published already). ``record`` is updated with the number counted."""
    record.next_version = max(record.next_version, _held(ctx, record.arn).next_version)
    existing = ctx.store.list_versions(record.arn)
    if existing and existing[0].revision_id == record.revision_id:
        return existing[0]
    if len(existing) >= MAX_VERSIONS:
        raise ServiceQuotaExceededException(
            f"Maximum number of versions ({MAX_VERSIONS}) reached for state machine '{record.arn}'")
    version = VersionRecord(
        arn=f"{record.arn}:{record.next_version}", machine_arn=record.arn, number=record.next_version,
        definition=record.definition, role_arn=record.role_arn, type=record.type,
        created=ctx.engine.clock.now(), revision_id=record.revision_id, description=description or "",
        logging_configuration=record.logging_configuration, tracing_configuration=record.tracing_configuration,
        encryption_configuration=record.encryption_configuration,
    )
    record.next_version += 1
    ctx.store.put_version(version)
    ctx.store.put_state_machine(record)
    return version


def _held(ctx: WriteContext, arn: str) -> StateMachineRecord:
    """The machine as committed now, held by this write until it commits (see :func:`publish`)."""
    record = ctx.store.hold_state_machine(arn)
    if record is None:  # deleted by another node since this write read it
        raise StateMachineDoesNotExist(f"State Machine Does Not Exist: '{arn}'")
    return record


def publish_version(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """PublishStateMachineVersion (of the revision current when the machine is held: see :func:`publish`)."""
    arn = required_str(req.params, "stateMachineArn")
    base, qualifier = split(arn)
    if qualifier is not None:
        raise InvalidArn(f"Invalid Arn: 'Unqualified state machine ARN expected: {arn}'")
    machine(ctx, base, allow_deleting=False)
    record = _held(ctx, base)
    revision = optional_str(req.params, "revisionId")
    if revision is not None and revision != record.revision_id:
        raise ConflictException(f"Failed to publish the State Machine version for revision {revision}. "
                                f"The current State Machine revision is {record.revision_id}.")
    version = publish(ctx, record, optional_str(req.params, "description"))
    return {"creationDate": version.created, "stateMachineVersionArn": version.arn}


def list_versions(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    base, qualifier = split(required_str(req.params, "stateMachineArn"))
    if qualifier is not None:
        raise InvalidArn(f"Invalid Arn: 'Unqualified state machine ARN expected: {base}:{qualifier}'")
    versions = ctx.store.list_versions(machine(ctx, base).arn)
    return listing("stateMachineVersions", versions, req.params,
                   lambda v: {"stateMachineVersionArn": v.arn, "creationDate": v.created})


def delete_version(ctx: WriteContext, req: Request) -> dict[str, Any]:
    arn = required_str(req.params, "stateMachineVersionArn")
    base, qualifier = split(arn)
    if qualifier is None or not qualifier.isdigit():
        raise InvalidArn(f"Invalid Arn: 'Version ARN expected: {arn}'")
    users = [a.arn for a in ctx.store.list_aliases(base)
             if any(r["stateMachineVersionArn"] == arn for r in a.routing)]
    if users:
        raise ConflictException("Version to be deleted must not be referenced by an alias. "
                                f"Current list of aliases referencing this version: [{', '.join(users)}]")
    ctx.store.delete_version(arn)
    return {}


def describe_version(record: VersionRecord, machine_record: StateMachineRecord) -> dict[str, Any]:
    """DescribeStateMachine's answer for a version ARN."""
    return {
        "stateMachineArn": record.arn, "name": machine_record.name, "status": machine_record.status,
        "definition": record.definition, "roleArn": record.role_arn, "type": record.type,
        "creationDate": record.created, "loggingConfiguration": record.logging_configuration,
        "tracingConfiguration": record.tracing_configuration, "revisionId": record.revision_id,
        "encryptionConfiguration": record.encryption_configuration,
        **({"description": record.description} if record.description else {}),
    }


def not_found(arn: str) -> ApiError:
    return ResourceNotFound(f"Resource not found: '{arn}'")
