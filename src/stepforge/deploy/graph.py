"""The order to deploy resources in: each after the resources it refers to or names in ``DependsOn``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from stepforge.deploy.errors import DeployError

SAM_MACHINE = "AWS::Serverless::StateMachine"
_SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")


def references(value: Any) -> Iterator[str]:
    """Every name ``value`` refers to with Ref, Fn::GetAtt or a ``${...}`` of Fn::Sub (resource or not)."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        (key, argument), = value.items()
        if key == "Ref" and isinstance(argument, str):
            yield argument
            return
        if key == "Fn::GetAtt":
            first = argument.split(".", 1)[0] if isinstance(argument, str) else argument[0] if argument else None
            if isinstance(first, str):
                yield first
            return
        if key == "Fn::Sub":
            yield from _sub_references(argument)
            return
    for item in value.values():
        yield from references(item)


def _sub_references(argument: Any) -> Iterator[str]:
    text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1]) \
        if isinstance(argument, list) and len(argument) == 2 else ("", {})
    if isinstance(text, str):
        for name in _SUB_NAME.findall(text):
            if name not in variables:
                yield name.strip().split(".", 1)[0]
    yield from references(variables)


def order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids, dependencies first (template order otherwise); DeployError on a cycle."""
    needs = {lid: _needs(lid, resource, resources) for lid, resource in resources.items()}
    done: list[str] = []
    state: dict[str, str] = {}

    def visit(lid: str, chain: tuple[str, ...]) -> None:
        if state.get(lid) == "done":
            return
        if state.get(lid) == "visiting":
            cycle = " -> ".join((*chain[chain.index(lid):], lid))
            raise DeployError(f"circular dependency between resources: {cycle}", "Resources")
        state[lid] = "visiting"
        for need in needs[lid]:
            visit(need, (*chain, lid))
        state[lid] = "done"
        done.append(lid)

    for lid in resources:
        visit(lid, ())
    return done


def _needs(lid: str, resource: Mapping[str, Any], resources: Mapping[str, Any]) -> list[str]:
    depends = resource.get("DependsOn", [])
    depends = [depends] if isinstance(depends, str) else depends
    for name in depends:
        if name not in resources:
            raise DeployError(f"DependsOn names {name!r}, which is not a resource", f"Resources/{lid}/DependsOn")
    found = [*depends, *filter(None, (_owner(r, resources) for r in references(resource.get("Properties", {}))))]
    return list(dict.fromkeys(n for n in found if n != lid))


def _owner(name: str, resources: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The resource ``name`` is, or the SAM machine that generates it (``FlowVersion`` is ``Flow``'s)."""
    if name in resources:
        return name
    owners = [lid for lid, r in resources.items() if name.startswith(lid) and r.get("Type") == SAM_MACHINE]
    return max(owners, key=len, default=None)
