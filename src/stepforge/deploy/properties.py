"""Reading resolved resource properties: known names only, typed values, CloudFormation's shapes to the API's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stepforge.deploy.errors import DeployError


def check_known(props: Mapping[str, Any], known: frozenset[str], where: str,
                unsupported: Mapping[str, str] | None = None) -> None:
    """DeployError for the first property not in ``known`` (with the reason when ``unsupported`` has one)."""
    for key in props:
        if unsupported and key in unsupported:
            raise DeployError(f"{key} is not supported by stepforge deploy: {unsupported[key]}", f"{where}/{key}")
        if key not in known:
            raise DeployError(f"unknown property {key!r} (known: {', '.join(sorted(known))})", f"{where}/{key}")


def string(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DeployError(f"must be a string, not {type(value).__name__}", where)
    return str(value)


def optional_string(props: Mapping[str, Any], key: str, where: str) -> str | None:
    return None if props.get(key) is None else string(props[key], f"{where}/{key}")


def mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DeployError("must be a mapping", where)
    return value


def camel(value: Any) -> Any:
    """CloudFormation's PascalCase keys as the API's camelCase, at every depth."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def cfn_tags(value: Any, where: str) -> dict[str, str]:
    """CloudFormation's ``[{Key, Value}]`` tags as a dict."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise DeployError("Tags is a list of {Key, Value}", where)
    tags = {}
    for index, tag in enumerate(value):
        if not isinstance(tag, dict) or set(tag) != {"Key", "Value"}:
            raise DeployError("a tag is {Key, Value}", f"{where}/{index}")
        tags[string(tag["Key"], f"{where}/{index}/Key")] = string(tag["Value"], f"{where}/{index}/Value")
    return tags


def sam_tags(value: Any, where: str) -> dict[str, str]:
    """SAM's ``{key: value}`` tags."""
    if value is None:
        return {}
    return {string(k, where): string(v, f"{where}/{k}") for k, v in mapping(value, where).items()}
