"""Scheduler's schedule groups: CreateScheduleGroup, GetScheduleGroup, ListScheduleGroups,
DeleteScheduleGroup. The ``default`` group always exists and cannot be deleted; deleting another
group deletes its schedules, as Scheduler does."""

from __future__ import annotations

from typing import Any

from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import ValidationException
from stepforge.service.params import optional_str
from stepforge.service.triggering import Conflicting, ResourceNotFound
from stepforge.store.trigger_records import ScheduleGroupRecord

DEFAULT = "default"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def arn_of(region: str, account: str, name: str) -> str:
    return f"arn:aws:scheduler:{region}:{account}:schedule-group/{name}"


def check_name(name: object, what: str = "GroupName") -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARS:
        raise ValidationException(f"Invalid {what} {name!r}: 1-64 characters from [0-9a-zA-Z-_.]")
    return name


def exists(ctx: ServiceContext, name: str) -> bool:
    return name == DEFAULT or ctx.store.get_schedule_group(name) is not None


def create(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """CreateScheduleGroup: ConflictException if it exists."""
    name = check_name(req.params.get("Name"), "Name")
    if exists(ctx, name):
        raise Conflicting(f"Schedule group {name} already exists.")
    record = ScheduleGroupRecord(name, arn_of(req.region, ctx.account, name), ctx.engine.clock.now())
    ctx.store.put_schedule_group(record)
    return {"ScheduleGroupArn": record.arn}


def get(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """GetScheduleGroup."""
    return _shape(_get(ctx, req, check_name(req.params.get("Name"), "Name")))


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    """ListScheduleGroups: the default group and the stored ones, by name, filtered by NamePrefix."""
    prefix = optional_str(req.params, "NamePrefix") or ""
    groups = [_default(ctx, req.region), *ctx.store.list_schedule_groups()]
    return {"ScheduleGroups": [_shape(g) for g in sorted(groups, key=lambda g: g.name) if g.name.startswith(prefix)]}


def delete(ctx: WriteContext, req: Request) -> dict[str, Any]:
    """DeleteScheduleGroup (and its schedules)."""
    name = check_name(req.params.get("Name"), "Name")
    if name == DEFAULT:
        raise ValidationException("The default schedule group cannot be deleted.")
    ctx.store.delete_schedule_group(_get(ctx, req, name).name)
    return {}


def _get(ctx: ServiceContext, req: Request, name: str) -> ScheduleGroupRecord:
    record = _default(ctx, req.region) if name == DEFAULT else ctx.store.get_schedule_group(name)
    if record is None:
        raise ResourceNotFound(f"Schedule group {name} does not exist.")
    return record


def _default(ctx: ServiceContext, region: str) -> ScheduleGroupRecord:
    return ScheduleGroupRecord(DEFAULT, arn_of(region, ctx.account, DEFAULT), 0.0)


def _shape(record: ScheduleGroupRecord) -> dict[str, Any]:
    return {"Arn": record.arn, "Name": record.name, "State": "ACTIVE", "CreationDate": record.created,
            "LastModificationDate": record.created}
