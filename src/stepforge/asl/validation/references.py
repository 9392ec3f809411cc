"""``variableReferences`` of DescribeStateMachine: which workflow variables each state reads.

:func:`variable_references` walks a definition (parsed JSON; it need not compile) and, for every
state at any depth, collects the ``$name`` variables its fields read: JSONPath paths
(``InputPath: "$x"``), ``.$`` template values and the intrinsic calls in them, Choice rule
operands, and the free variables of JSONata expressions (not ``$states``, not functions, not names
the expression binds itself). States that read none are left out; no references at all is None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from jsonata import Jsonata  # type: ignore[import-untyped]

from stepforge.asl.query.jsonata import OPEN, is_expression
from stepforge.asl.query.jsonata_functions import FUNCTIONS
from stepforge.asl.query.jsonpath import PathSyntaxError, compile_path

_NESTED = ("Branches", "ItemProcessor", "Iterator")
_QUOTED = re.compile(r"'(?:\\.|[^'\\])*'")
_VARIABLE = re.compile(r"(?<![\w$.])\$([A-Za-z_][A-Za-z0-9_]*)")
_BUILTINS = frozenset(Jsonata.static_frame.bindings) | frozenset(FUNCTIONS.bindings)


def variable_references(definition: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """State name -> sorted variable names it reads; None when no state reads any."""
    found: dict[str, set[str]] = {}
    for name, state in _states(definition):
        names = set(_in_state(state))
        if names:
            found.setdefault(name, set()).update(names)
    return {name: sorted(names) for name, names in found.items()} or None


def _states(machine: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    states = machine.get("States") if isinstance(machine, Mapping) else None
    if not isinstance(states, Mapping):
        return
    for name, state in states.items():
        if not isinstance(state, Mapping):
            continue
        yield name, state
        for key in _NESTED:
            nested = state.get(key)
            for inner in nested if isinstance(nested, list) else [nested]:
                yield from _states(inner)


def _in_state(state: Mapping[str, Any]) -> Iterator[str]:
    jsonata = state.get("QueryLanguage") == "JSONata"
    for key, value in state.items():
        if key in _NESTED or key in ("Type", "Comment", "Next", "End", "Default", "Resource", "QueryLanguage"):
            continue
        yield from _in_value(key, value, jsonata or _has_expression(value))


def _has_expression(value: Any) -> bool:
    if isinstance(value, str):
        return is_expression(value)
    if isinstance(value, Mapping):
        return any(_has_expression(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_expression(v) for v in value)
    return False


def _in_value(key: str, value: Any, jsonata: bool) -> Iterator[str]:
    if isinstance(value, str):
        if jsonata and is_expression(value):
            yield from _in_expression(value)
        elif not jsonata and (key.endswith((".$", "Path")) or key == "Variable"):
            yield from _in_path_or_intrinsic(value)
    elif isinstance(value, Mapping):
        for inner_key, inner in value.items():
            yield from _in_value(inner_key, inner, jsonata)
    elif isinstance(value, list):
        for item in value:
            yield from _in_value(key, item, jsonata)


def _in_path_or_intrinsic(text: str) -> Iterator[str]:
    if text.startswith("States."):
        yield from (m.group(1) for m in _VARIABLE.finditer(_QUOTED.sub("", text)))
        return
    if not text.startswith("$") or text.startswith("$$"):
        return
    try:
        path = compile_path(text)
    except PathSyntaxError:
        return
    if path.root == "variable" and path.variable:
        yield path.variable


def _in_expression(text: str) -> Iterator[str]:
    try:
        ast = Jsonata(text[len(OPEN):-2].strip()).ast
    except Exception:  # noqa: BLE001 - an unparsable expression references nothing we can name
        return
    bound: set[str] = set()
    used: list[str] = []
    _walk(ast, bound, used)
    yield from (name for name in used if name not in bound and name not in _BUILTINS and name not in ("", "states"))


def _walk(node: Any, bound: set[str], used: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, bound, used)
        return
    if not hasattr(node, "type"):
        return
    kind = node.type
    if kind == "variable":
        used.append(node.value)
    elif kind == "bind" and getattr(node.lhs, "type", None) == "variable":
        bound.add(node.lhs.value)
    elif kind == "lambda":
        bound.update(arg.value for arg in node.arguments or [] if getattr(arg, "type", None) == "variable")
    for key, child in vars(node).items():
        if key == "_outer_instance" or (kind == "bind" and key == "lhs") or (kind == "lambda" and key == "arguments"):
            continue
        if kind in ("function", "partial") and key == "procedure" and getattr(child, "type", None) == "variable":
            continue
        if hasattr(child, "type") or isinstance(child, list):
            _walk(child, bound, used)
