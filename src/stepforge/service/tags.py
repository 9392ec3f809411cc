"""Tags on state machines and activities: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from typing import Any

from stepforge.service import arns, versions
from stepforge.service.context import Request, ServiceContext, WriteContext
from stepforge.service.errors import InvalidArn, TooManyTags, ValidationException
from stepforge.service.params import required_str
from stepforge.store.records import ActivityRecord, StateMachineRecord

MAX_TAGS = 50


def parse(value: Any) -> dict[str, str]:
    """A request's ``[{"key": ..., "value": ...}]`` as a dict (shapes were checked already; the model
    leaves ``key`` optional, but a tag without one is refused as AWS refuses it)."""
    for index, tag in enumerate(value or [], start=1):
        if "key" not in tag:
            raise ValidationException(f"1 validation error detected: Value null at 'tags.{index}.member.key' "
                                      "failed to satisfy constraint: Member must not be null")
    return {str(t["key"]): str(t.get("value", "")) for t in value or []}


def shaped(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def check_count(arn: str, tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise TooManyTags(f"Too many tags: a resource can have at most {MAX_TAGS} tags: '{arn}'")


def _resource(ctx: ServiceContext, arn: str) -> StateMachineRecord | ActivityRecord:
    parsed = arns.parse(arn, "stateMachine", "activity")
    found: StateMachineRecord | ActivityRecord | None
    if parsed.kind == "activity":
        found = ctx.store.get_activity(arn)
    else:
        base, qualifier = versions.split(arn)
        if qualifier is not None:
            raise InvalidArn(f"Invalid Arn: 'Tags are not supported on versions and aliases: {arn}'")
        found = ctx.store.get_state_machine(base)
    if found is None:
        raise versions.not_found(arn)
    return found


def _save(ctx: WriteContext, record: StateMachineRecord | ActivityRecord) -> None:
    if isinstance(record, ActivityRecord):
        ctx.store.put_activity(record)
    else:
        ctx.store.put_state_machine(record)


def tag(ctx: WriteContext, req: Request) -> dict[str, Any]:
    arn = required_str(req.params, "resourceArn")
    record = _resource(ctx, arn)
    merged = {**record.tags, **parse(req.params["tags"])}
    check_count(arn, merged)
    record.tags = merged
    _save(ctx, record)
    return {}


def untag(ctx: WriteContext, req: Request) -> dict[str, Any]:
    arn = required_str(req.params, "resourceArn")
    keys = set(req.params["tagKeys"])  # type: ignore[call-overload]
    record = _resource(ctx, arn)
    record.tags = {k: v for k, v in record.tags.items() if k not in keys}
    _save(ctx, record)
    return {}


def list_(ctx: ServiceContext, req: Request) -> dict[str, Any]:
    return {"tags": shaped(_resource(ctx, required_str(req.params, "resourceArn")).tags)}
