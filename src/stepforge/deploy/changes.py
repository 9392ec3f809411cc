"""What deploying one resource would do (:class:`Change`), and how to do it (:class:`Planned`)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from stepforge.deploy.clients import Api

Action = Literal["create", "update", "unchanged", "ignored"]
#: An attribute whose value is known only once the deployment has run (shown in --dry-run).
AFTER_DEPLOY = "(known after deploy)"


@dataclass(frozen=True)
class Change:
    """One line of the change set: a resource, its physical name, the action and what differs."""

    logical_id: str
    type: str
    name: str
    action: Action
    details: tuple[str, ...] = ()
    diff: str = ""


@dataclass(frozen=True)
class Planned:
    """A change, the resource's attributes once it is applied, and the calls that apply it.

    ``apply`` makes the API writes (none when unchanged) and returns the resource's attributes
    (``Ref`` and the ``Fn::GetAtt`` names) as the server reports them.
    """

    change: Change
    attributes: dict[str, Any]
    apply: Callable[[], dict[str, Any]] = field(repr=False)


class Unit(Protocol):
    """A resource as the template wants it, able to compare itself with the server and converge."""

    @property
    def logical_id(self) -> str: ...

    def plan(self, api: Api) -> Planned: ...


def unchanged(change: Change, attributes: dict[str, Any]) -> Planned:
    return Planned(change, attributes, lambda: attributes)


def field_changes(wanted: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[str, ...]:
    """``"Field: old -> new"`` for each field of ``wanted`` whose value differs from ``current``."""
    return tuple(f"{key}: {_short(current.get(key))} -> {_short(value)}" for key, value in wanted.items()
                 if value != current.get(key))


def tag_changes(wanted: Mapping[str, str], current: Mapping[str, str]) -> tuple[str, ...]:
    added = [f"+{k}={v}" for k, v in wanted.items() if current.get(k) != v]
    removed = [f"-{k}" for k in current if k not in wanted]
    return (f"Tags: {' '.join(added + removed)}",) if added or removed else ()


def definition_diff(old: str | None, new: str, name: str) -> str:
    """A unified diff of two definitions, both pretty-printed so that only real changes show."""
    return "".join(difflib.unified_diff(_lines(old), _lines(new), f"{name} (deployed)", f"{name} (template)"))


def shaped_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def tag_writes(api: Api, arn: str, wanted: Mapping[str, str], current: Mapping[str, str]) -> None:
    """TagResource/UntagResource calls that make ``arn``'s tags ``wanted``."""
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    removed = [k for k in current if k not in wanted]
    if changed:
        api.call("stepfunctions", "tag_resource", resourceArn=arn, tags=shaped_tags(changed))
    if removed:
        api.call("stepfunctions", "untag_resource", resourceArn=arn, tagKeys=removed)


def current_tags(api: Api, arn: str) -> dict[str, str]:
    return {t["key"]: t["value"] for t in api.call("stepfunctions", "list_tags_for_resource", resourceArn=arn)["tags"]}


def _lines(text: str | None) -> list[str]:
    if text is None:
        return []
    try:
        text = json.dumps(json.loads(text), indent=2)
    except ValueError:
        pass
    return [line + "\n" for line in text.splitlines()]


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 120 else text[:117] + "..."


def names(items: Iterable[Mapping[str, Any]], key: str = "name", arn: str = "stateMachineArn") -> dict[str, str]:
    return {str(item[key]): str(item[arn]) for item in items}
