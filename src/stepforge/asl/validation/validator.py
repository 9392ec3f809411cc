"""Validate a definition the way AWS does, collecting every problem as a :class:`Diagnostic`.

``validate`` is the one entry used by CreateStateMachine (``InvalidDefinition``),
ValidateStateMachineDefinition and ``stepforge validate``. It never raises: malformed JSON, wrong
types anywhere, deep nesting and huge documents all become diagnostics. Codes and locations are
AWS's (``SCHEMA_VALIDATION_FAILED`` at ``/States/Fail/ErrorPath``); the syntax of paths, templates,
intrinsic functions and choice rules is checked by the same compilers the interpreter uses.

The per-state rules live in :mod:`stepforge.asl.validation.rules` and the per-field checks in
:mod:`stepforge.asl.validation.fields`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from stepforge.asl.validation.fields import (
    ERROR,
    SCHEMA,
    WARNING,
    Collector,
    Diagnostic,
    Scope,
    at_key,
    is_object,
)
from stepforge.asl.validation.positions import Positions, json_positions, yaml_positions
from stepforge.asl.validation.rules import check_machine

__all__ = ["MAX_DEFINITION_BYTES", "Diagnostic", "ValidationReport", "validate", "validate_document", "validate_source"]

MAX_DEFINITION_BYTES: Final = 1024 * 1024
#: Jackson's default maximum nesting depth, which AWS's parser applies.
MAX_JSON_DEPTH: Final = 1000
INVALID_JSON: Final = "INVALID_JSON_DESCRIPTION"
NOT_AN_OBJECT: Final = "Definition must be a valid JSON object"
INTERNAL_ERROR: Final = "Internal validator error"


@dataclass(frozen=True)
class ValidationReport:
    """The answer of a validation: ``result`` is ``"FAIL"`` when any ERROR was found (even one cut off
    by ``max_results`` or filtered out by severity), ``truncated`` when diagnostics were cut off."""

    diagnostics: list[Diagnostic]
    result: str
    truncated: bool = False

    @property
    def errors(self) -> list[Diagnostic]:
        """The ERROR diagnostics among those returned."""
        return [d for d in self.diagnostics if d.severity == ERROR]

    def invalid_definition_message(self) -> str:
        """AWS's ``InvalidDefinition`` message: ``Invalid State Machine Definition: 'CODE: msg at /x, ...'``."""
        return f"Invalid State Machine Definition: '{', '.join(d.describe() for d in self.errors)}'"


def validate(
    definition_text: str, *, max_results: int = 100, machine_type: str = "STANDARD",
    severity: str = WARNING, positions: Positions | None = None,
) -> ValidationReport:
    """Validate definition text (JSON). ``severity="ERROR"`` drops warnings from the report;
    ``positions`` (from a YAML source, say) overrides where duplicate keys are looked up."""
    found = _check_text(definition_text)
    if found is None:
        try:
            document = json.loads(definition_text, parse_constant=_refuse_constant)
        except RecursionError:
            found = [Diagnostic(ERROR, INVALID_JSON, "Document nesting depth exceeds the maximum allowed", None)]
        except ValueError as exc:
            found = [_json_error(definition_text, exc)]
        else:
            duplicates = (positions or json_positions(definition_text)).duplicates
            found = _collect(document, machine_type, duplicates)
    return _report(found, max_results, severity)


def validate_document(
    document: Any, *, max_results: int = 100, machine_type: str = "STANDARD", severity: str = WARNING,
) -> ValidationReport:
    """Validate an already parsed definition (a YAML file, say)."""
    return _report(_collect(document, machine_type, []), max_results, severity)


def _check_text(text: str) -> list[Diagnostic] | None:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DEFINITION_BYTES:
        message = f"Definition exceeds the maximum size of {MAX_DEFINITION_BYTES} bytes"
        return [Diagnostic(ERROR, SCHEMA, message, "/")]
    if not text.strip():
        return [Diagnostic(ERROR, SCHEMA, NOT_AN_OBJECT, None)]
    return None


def _collect(document: Any, machine_type: str, duplicates: list[str]) -> list[Diagnostic]:
    if not is_object(document):
        return [Diagnostic(ERROR, SCHEMA, NOT_AN_OBJECT, None)]
    depth_problem = _too_deep(document)
    if depth_problem is not None:
        return [Diagnostic(ERROR, "TOO_DEEPLY_NESTED", "The definition is nested too deeply", depth_problem)]
    out = Collector()
    for pointer in duplicates:
        _duplicate_key(out, pointer)
    scope = Scope.top(document, machine_type)
    try:
        check_machine(out, document, scope)
    except RecursionError:
        out.error("The definition is nested too deeply", "", code="TOO_DEEPLY_NESTED")
    except Exception as exc:  # noqa: BLE001 - a validator bug must not become an HTTP 500; fuzz/mutate.py counts these
        out.error(f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}", "")
    if not any(d.severity == ERROR for d in out.items):
        out.items.extend(scope.graph.items)
    return [replace(d, location=resolve_pointer(document, d.location)) for d in out.items]


def resolve_pointer(document: Any, pointer: str | None) -> str | None:
    """``pointer`` cut back to the longest prefix that exists in ``document`` (``/`` at worst), so that
    a diagnostic about a missing field points at the object that lacks it."""
    if pointer is None or not pointer.startswith("/") or pointer == "/":
        return pointer
    node, found = document, ""
    for token in pointer[1:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            break
        found = f"{found}/{token}"
    return found or "/"


def _duplicate_key(out: Collector, pointer: str) -> None:
    parent, _, name = pointer.rpartition("/")
    if parent.endswith("/States") or parent == "/States":
        out.error(f"Duplicate State name: {name}", pointer, code="DUPLICATE_STATE_NAME")
    else:
        out.error(f"Duplicate field '{name}'", pointer)


def _too_deep(document: Mapping[str, Any]) -> str | None:
    """The pointer of a value nested deeper than :data:`MAX_JSON_DEPTH`, walking without recursion."""
    pending: list[tuple[Any, int, str]] = [(document, 1, "")]
    while pending:
        value, depth, pointer = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return pointer
        if isinstance(value, dict):
            pending.extend((item, depth + 1, at_key(pointer, str(key))) for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((item, depth + 1, f"{pointer}/{i}") for i, item in enumerate(value))
    return None


def _report(found: list[Diagnostic], max_results: int, severity: str) -> ValidationReport:
    result = "FAIL" if any(d.severity == ERROR for d in found) else "OK"
    shown = [d for d in found if severity == WARNING or d.severity == ERROR]
    shown.sort(key=lambda d: d.severity != ERROR)
    limit = max(0, max_results)
    return ValidationReport(shown[:limit], result, truncated=len(shown) > limit)


class _NonStandardToken(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Non-standard token '{name}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS`")
        self.name = name


def _refuse_constant(name: str) -> Any:
    raise _NonStandardToken(name)


_EXPECTING: Final = ("was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
_TOKEN = re.compile(r"[A-Za-z0-9_$.+-]+")


def _json_error(text: str, exc: ValueError) -> Diagnostic:
    """INVALID_JSON_DESCRIPTION in the shape of AWS's (Jackson's) message, located by line and column."""
    if isinstance(exc, json.JSONDecodeError):
        offset = exc.pos
    else:
        offset = max(0, text.find(exc.name)) if isinstance(exc, _NonStandardToken) else 0
    line = text.count("\n", 0, offset) + 1
    position = (line, offset - (text.rfind("\n", 0, offset) + 1) + 1)
    problem = _jackson_problem(text, offset, exc)
    source = text if len(text) <= 500 else text[:500] + "[truncated]"
    token = _TOKEN.match(text, offset)
    column = position[1] + (len(token.group()) if token and problem.startswith("Unrecognized") else 0)
    location = f'[Source: (String)"{source}"; line: {position[0]}, column: {column}]'
    return Diagnostic(ERROR, INVALID_JSON, f"{problem}\n at {location}", location, position)


def _jackson_problem(text: str, offset: int, exc: ValueError) -> str:
    if not isinstance(exc, json.JSONDecodeError):
        return str(exc)
    token = _TOKEN.match(text, offset)
    if exc.msg == "Expecting value" and token:
        return f"Unrecognized token '{token.group()}': {_EXPECTING}"
    if offset >= len(text):
        return "Unexpected end-of-input"
    if exc.msg.startswith("Expecting property name"):
        return (f"Unexpected character ('{text[offset]}' (code {ord(text[offset])})): "
                "was expecting double-quote to start field name")
    if exc.msg == "Extra data":
        return f"Unexpected character ('{text[offset]}' (code {ord(text[offset])})): expected end of input"
    return f"Unexpected character ('{text[offset]}' (code {ord(text[offset])})): {exc.msg.lower()}"



def validate_source(
    text: str, *, is_yaml: bool = False, machine_type: str = "STANDARD", severity: str = WARNING,
) -> tuple[ValidationReport, Positions]:
    """Validate the text of a definition file (JSON, or YAML when ``is_yaml``) and say where each
    pointer is in it, for ``file:line:col`` diagnostics."""
    if not is_yaml:
        positions = json_positions(text)
        return validate(text, machine_type=machine_type, severity=severity, positions=positions), positions
    positions = yaml_positions(text)
    try:
        as_json = _yaml_as_json(text)
    except _YamlProblem as exc:
        found = [Diagnostic(ERROR, "INVALID_YAML_DESCRIPTION", exc.message, None, exc.position)]
        return _report(found, 100, severity), positions
    return validate(as_json, machine_type=machine_type, severity=severity, positions=positions), positions


class _YamlProblem(Exception):
    def __init__(self, message: str, position: tuple[int, int]) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _yaml_as_json(text: str) -> str:
    import yaml  # type: ignore[import-untyped]

    try:
        return json.dumps(yaml.safe_load(text), default=str)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise _YamlProblem(f"{exc.problem or exc}", where) from None
    except (yaml.YAMLError, RecursionError, TypeError, ValueError) as exc:
        raise _YamlProblem(f"Unreadable YAML: {exc}", (1, 1)) from None
