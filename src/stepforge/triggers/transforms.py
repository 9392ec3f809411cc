"""What a rule's target receives: the event, ``Input``, ``InputPath`` or ``InputTransformer`` (as EventBridge).

- no option: the whole event, as JSON;
- ``Input``: that constant JSON text;
- ``InputPath``: the part of the event a JSONPath selects;
- ``InputTransformer``: ``InputPathsMap`` names JSONPaths into the event, ``InputTemplate`` uses them
  as ``<name>``. Inside a quoted string a string value goes in as it is (JSON-escaped); elsewhere
  every value goes in as JSON. A path that selects nothing gives ``null`` (``""`` inside quotes).
  ``<aws.events.rule-arn>``, ``<aws.events.rule-name>``, ``<aws.events.event.ingestion-time>``,
  ``<aws.events.event>`` and ``<aws.events.event.json>`` are predefined.
"""

from __future__ import annotations

import json
import re
from typing import Any

from stepforge.asl.query.jsonpath import PathNotFound, PathSyntaxError, compile_path

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


class TransformError(ValueError):
    """A target's input options that cannot be used (ValidationException); the message says which."""


def check(target: dict[str, Any]) -> None:
    """Refuse a target whose input options are malformed or more than one."""
    name = target.get("Id")
    given = [key for key in ("Input", "InputPath", "InputTransformer") if target.get(key) is not None]
    if len(given) > 1:
        raise TransformError(f"Target {name}: only one of Input, InputPath and InputTransformer "
                             f"may be given, got {', '.join(given)}")
    if "Input" in given:
        try:
            json.loads(target["Input"])
        except (TypeError, ValueError):
            raise TransformError(f"Target {name}: Input is not valid JSON") from None
    transformer = target.get("InputTransformer")
    if transformer is not None:
        if not isinstance(transformer, dict) or not isinstance(transformer.get("InputTemplate"), str):
            raise TransformError(f"Target {name}: InputTransformer needs an InputTemplate string")
        if not isinstance(transformer.get("InputPathsMap", {}), dict):
            raise TransformError(f"Target {name}: InputPathsMap must map names to JSONPaths")
    for path in _paths(target):
        if not isinstance(path, str):
            raise TransformError(f"Target {name}: a JSONPath must be a string, got {json.dumps(path)[:100]}")
        try:
            compile_path(path)
        except PathSyntaxError as exc:
            raise TransformError(f"Target {name}: invalid JSONPath {path!r}: {exc}") from None


def _paths(target: dict[str, Any]) -> list[Any]:
    paths = [target["InputPath"]] if target.get("InputPath") is not None else []
    transformer = target.get("InputTransformer") or {}
    return paths + list((transformer.get("InputPathsMap") or {}).values())


def target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str, rule_name: str) -> str:
    """The JSON text ``target`` receives for ``event``."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath") is not None:
        return json.dumps(_select(target["InputPath"], event))
    transformer = target.get("InputTransformer")
    if transformer is None:
        return json.dumps(event)
    values: dict[str, Any] = {name: _select(path, event)
                              for name, path in (transformer.get("InputPathsMap") or {}).items()}
    values.update({"aws.events.rule-arn": rule_arn, "aws.events.rule-name": rule_name,
                   "aws.events.event.ingestion-time": event.get("time"), "aws.events.event": event,
                   "aws.events.event.json": event})
    return render(transformer["InputTemplate"], values)


def _select(path: str, event: dict[str, Any]) -> Any:
    try:
        return compile_path(path).evaluate(event)
    except PathNotFound:
        return None


def render(template: str, values: dict[str, Any]) -> str:
    """``template`` with each known ``<name>`` replaced (see the module's docstring); unknown ones stay."""
    out: list[str] = []
    quoted, position = False, 0
    for match in _PLACEHOLDER.finditer(template):
        quoted = _quoted_after(template, position, match.start(), quoted)
        out.append(template[position:match.start()])
        name = match.group(1)
        if name not in values:
            out.append(match.group(0))
        else:
            out.append(_inside_quotes(values[name]) if quoted else json.dumps(values[name]))
        position = match.end()
    out.append(template[position:])
    return "".join(out)


def _quoted_after(text: str, start: int, end: int, quoted: bool) -> bool:
    """Whether the position ``end`` is inside a JSON string, given the state at ``start``."""
    escaped = False
    for char in text[start:end]:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
    return quoted


def _inside_quotes(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value)
    return json.dumps(text)[1:-1]
