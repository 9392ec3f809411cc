"""The JSONPath data-flow stages, written once for every state type.

InputPath -> Parameters -> (the state's work) -> ResultSelector -> ResultPath -> OutputPath.
Each function takes the values it needs and returns a new value; none mutates its arguments.
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from stepforge.asl import errors
from stepforge.asl.errors import StatesError
from stepforge.asl.query.budget import MAX_PAYLOAD_BYTES, Budget, data_limit_exceeded
from stepforge.asl.query.intrinsics import Intrinsic
from stepforge.asl.query.jsonpath import JsonPath, PathNotFound, ReferencePath
from stepforge.asl.query.payload import Template, evaluate_path_field
from stepforge.asl.scope import Scope

_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
#: ``_COMPACT``'s C encoder, made once (``JSONEncoder.encode`` builds one per call): without circular
#: checks, which JSON values (parsed, or built from parsed values) never need.
_ENCODE = (None if c_make_encoder is None else
           c_make_encoder(None, _COMPACT.default, encode_basestring, None, ":", ",", False, False, True))


def to_json(value: Any) -> str:
    """Compact JSON as AWS writes it in history events and API responses."""
    return _COMPACT.encode(value) if _ENCODE is None else "".join(_ENCODE(value, 0))


def select(path: JsonPath | None, scope: Scope) -> Any:
    """InputPath / OutputPath / ItemsPath: ``None`` (JSON null) selects ``{}``."""
    if path is None:
        return {}
    if path.text == "$":
        return scope.input
    try:
        return path.resolve(scope)
    except PathNotFound as exc:
        # Jayway's own words for a miss on the input or context ("Missing property in path $['no']"),
        # as AWS's recordings show them; an undefined variable keeps the generic form.
        raise invalid_path(exc.path, None if exc.path.root == "variable" else exc.message) from None


def select_in(path: JsonPath | None, value: Any, scope: Scope) -> Any:
    """:func:`select` with ``value`` as ``$`` (a new scope made only for a path that reads more than ``$``)."""
    if path is not None and path.text == "$":
        return value
    return select(path, scope.with_input(value))


def invalid_path(path: JsonPath, problem: str | None = None) -> StatesError:
    problem = problem or f"No results for path: {path.normalized}"
    return StatesError(errors.RUNTIME, f"Invalid path '{path.text}' : {problem}")


def apply_template(template: Template | None, scope: Scope) -> Any:
    """Parameters / ResultSelector / ItemSelector; no template passes the input through.

    The value is counted as it is built and refused (``States.DataLimitExceeded``, naming the
    state of ``$$.State.Name``) as soon as it is known to pass 256 KiB."""
    return scope.input if template is None else template.evaluate(scope, Budget.for_output(scope))


def place_result(raw_input: Any, result: Any, path: ReferencePath | None, discard: bool) -> Any:
    """ResultPath: ``null`` keeps the raw input, ``$`` (default) replaces it, else merge into a copy."""
    if discard:
        return raw_input
    if path is None or path.text == "$":
        return result
    return path.assign(raw_input, result)


def field_value(source: JsonPath | Intrinsic, scope: Scope, field: str) -> Any:
    """ErrorPath/CausePath-style fields: a path or an intrinsic, with AWS's not-found message."""
    if isinstance(source, Intrinsic):
        return source.evaluate(scope)
    return evaluate_path_field(source, scope, field)


def check_size(state_name: str, output_json: str) -> None:
    """Refuse a state output over AWS's payload limit (the exact check: it defines AWS's boundary)."""
    if len(output_json) > MAX_PAYLOAD_BYTES // 4 and len(output_json.encode()) > MAX_PAYLOAD_BYTES:
        raise data_limit_exceeded(state_name)
