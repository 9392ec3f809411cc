"""Planning and applying a deployment: resources in dependency order, each compared with the server.

:func:`preview` makes no writes: references to resources that do not exist yet resolve to the ARNs
they will have. :func:`apply` walks the same order again, applying each change before resolving
the resources that refer to it, so that they see what the server answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from stepforge.deploy import activities, events, machines, rules, versions
from stepforge.deploy.changes import AFTER_DEPLOY, Change, Planned, Unit
from stepforge.deploy.clients import Api
from stepforge.deploy.errors import DeployError
from stepforge.deploy.graph import order
from stepforge.deploy.ignored import ignored
from stepforge.deploy.intrinsics import Resolver
from stepforge.deploy.stack import Stack
from stepforge.deploy.template import Template

SUPPORTED = (machines.CFN_TYPE, machines.SAM_TYPE, activities.TYPE, versions.VERSION_TYPE, versions.ALIAS_TYPE,
             rules.RULE_TYPE, rules.SCHEDULE_TYPE)
DEFAULT_ACCOUNT = "000000000000"


@dataclass(frozen=True)
class Deployment:
    """A template to deploy as ``stack`` with its checked parameter values; resources of the
    ``ignore`` types are shown as ignored instead of refused (:mod:`stepforge.deploy.ignored`)."""

    template: Template
    stack: Stack
    parameters: Mapping[str, Any]
    ignore: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Outcome:
    """The changes of a deployment (planned or made) and the template's Outputs as they resolve."""

    changes: list[Change]
    outputs: dict[str, Any]


def check_types(template: Template, ignore: frozenset[str] = frozenset()) -> None:
    """DeployError naming the first resource whose type stepforge deploy cannot handle (and is not ignored)."""
    for logical_id, resource in template.resources.items():
        if resource["Type"] not in SUPPORTED and resource["Type"] not in ignore:
            raise DeployError(f"resource type {resource['Type']} is not supported by stepforge deploy (it deploys "
                              f"{', '.join(SUPPORTED)}; --ignore-type {resource['Type']} leaves such resources "
                              "alone)", f"Resources/{logical_id}/Type")


def discover_account(api: Api) -> str:
    """The account in the ARNs the server lists (its ``--account``), or the default when it lists none."""
    for operation, key, field in (("list_state_machines", "stateMachines", "stateMachineArn"),
                                  ("list_activities", "activities", "activityArn")):
        for item in api.call("stepfunctions", operation, maxResults=1).get(key, []):
            return str(item[field]).split(":")[4]
    return DEFAULT_ACCOUNT


def preview(deployment: Deployment, api: Api) -> Outcome:
    """What deploying would change, with no writes."""
    return _walk(deployment, api, lambda planned: planned.attributes)


def apply(deployment: Deployment, api: Api, done: Callable[[Change], None] = lambda change: None) -> Outcome:
    """Deploy: each resource's change applied in dependency order; ``done`` is told of each as it is made.

    A server that listed nothing has not told its account: the first ARN it answers does. If that
    is not the account assumed, the walk starts again with it, so that ``AWS::AccountId`` and the
    ARNs built from it (default roles) are the server's; what was already made is then found.
    """

    def walk(assumed: str, check: bool) -> Outcome:
        def run(planned: Planned) -> dict[str, Any]:
            attributes = planned.apply()
            done(planned.change)
            answered = _account(attributes.get("Arn"))
            if check and answered is not None and answered != assumed:
                raise _AccountLearned(answered)
            return attributes

        return _walk(replace(deployment, stack=replace(deployment.stack, account=assumed)), api, run)

    try:
        return walk(deployment.stack.account, check=True)
    except _AccountLearned as learned:
        return walk(learned.account, check=False)


class _AccountLearned(Exception):
    def __init__(self, account: str) -> None:
        super().__init__(account)
        self.account = account


def _account(arn: Any) -> str | None:
    parts = arn.split(":") if isinstance(arn, str) and arn.startswith("arn:") else []
    return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


def _walk(deployment: Deployment, api: Api, settle: Callable[[Planned], dict[str, Any]]) -> Outcome:
    template, stack = deployment.template, deployment.stack
    check_types(template, deployment.ignore)
    resolver = Resolver(template, deployment.parameters, stack.pseudo())
    changes: list[Change] = []
    for logical_id in order(template.resources):
        resource = template.resources[logical_id]
        if "Condition" in resource and not resolver.condition(resource["Condition"],
                                                              f"Resources/{logical_id}/Condition"):
            continue
        for unit in _units(logical_id, resource, template, stack, resolver):
            planned = unit.plan(api)
            changes.append(planned.change)
            resolver.attributes[unit.logical_id] = settle(planned)
    return Outcome(changes, _outputs(template, resolver))


def _units(logical_id: str, resource: dict[str, Any], template: Template, stack: Stack,
           resolver: Resolver) -> Iterator[Unit]:
    """The units one resource deploys as, each made once the ones before it are settled (a SAM
    machine: itself, its AutoPublishAlias version and alias, then one unit per event source; a
    resource of an ignored type: an :class:`Ignored`)."""
    kind = resource["Type"]
    if kind not in SUPPORTED:
        yield ignored(logical_id, resource, stack, resolver)
        return
    raw = resource.get("Properties") or {}
    if kind == machines.SAM_TYPE:
        raw = with_globals(raw, template.globals.get("StateMachine") or {})
    props = resolver.resolve(raw, f"Resources/{logical_id}/Properties")
    if kind == machines.CFN_TYPE:
        yield machines.from_cfn(logical_id, props, stack, template.folder)
    elif kind == machines.SAM_TYPE:
        yield from _sam_machine(logical_id, props, template, stack, resolver)
    elif kind == activities.TYPE:
        yield activities.from_cfn(logical_id, props, stack)
    elif kind == rules.RULE_TYPE:
        yield rules.rule_from_cfn(logical_id, props, stack)
    elif kind == rules.SCHEDULE_TYPE:
        yield rules.schedule_from_cfn(logical_id, props, stack)
    elif kind == versions.VERSION_TYPE:
        version = versions.version_from_cfn(logical_id, props)
        yield _pinned(version, resolver) if version.revision_id is None else version
    else:
        yield versions.alias_from_cfn(logical_id, props)


def _sam_machine(logical_id: str, props: dict[str, Any], template: Template, stack: Stack,
                 resolver: Resolver) -> Iterator[Unit]:
    yield machines.from_sam(logical_id, props, stack, template.folder)
    target = machine_arn = str(resolver.attributes[logical_id]["Arn"])  # the server's, once applied
    name = versions.auto_publish_alias(logical_id, props)
    if name is not None:
        version = _pinned(versions.sam_version(logical_id, machine_arn), resolver)
        yield version
        alias = versions.sam_alias(logical_id, name, resolver.attributes[version.logical_id]["Arn"], props)
        yield alias
        if props.get("UseAliasAsEventTarget") is True:
            target = alias.arn
    yield from events.from_sam(logical_id, props.get("Events"), target, stack)


def _pinned(version: versions.Version, resolver: Resolver) -> versions.Version:
    """A version of a machine of this template is of the revision this deployment leaves it at."""
    for attributes in resolver.attributes.values():
        if attributes.get("Arn") == version.machine_arn and "StateMachineRevisionId" in attributes:
            revision = str(attributes["StateMachineRevisionId"])
            return versions.Version(version.logical_id, version.machine_arn, revision, version.description)
    return version


def with_globals(props: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """SAM's Globals: the resource's properties over the global ones (maps merged key by key)."""
    merged = dict(defaults)
    for key, value in props.items():
        both_maps = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = {**merged[key], **value} if both_maps else value
    return merged


def _outputs(template: Template, resolver: Resolver) -> dict[str, Any]:
    found = {}
    for name, output in template.outputs.items():
        where = f"Outputs/{name}"
        if not isinstance(output, dict) or "Value" not in output:
            raise DeployError("an output is a mapping with a Value", where)
        if "Condition" in output and not resolver.condition(output["Condition"], f"{where}/Condition"):
            continue
        value = resolver.resolve(output["Value"], f"{where}/Value")
        found[name] = AFTER_DEPLOY if AFTER_DEPLOY in str(value) else value
    return found
