"""Validate a definition the way AWS does, collecting every problem as a :class:`Diagnostic`; compile it.

The validator is the only judge of a definition: it never raises (malformed JSON, wrong types
anywhere, deep nesting and huge documents all become diagnostics), and the compiler
(:mod:`stepforge.asl.compilation.compiler`) trusts what it accepted. :func:`validate_and_compile` is
the one entry: it reads the text once and feeds the same document to both. CreateStateMachine,
UpdateStateMachine, TestState and ``stepforge validate`` use it; :func:`validate`
(ValidateStateMachineDefinition) and :func:`validate_source` (the console) give its report, so every
entry gives the same verdict. Codes and locations are AWS's (``SCHEMA_VALIDATION_FAILED`` at
``/States/Fail/ErrorPath``); the syntax of paths, templates, intrinsic functions and choice rules is
checked by the same compilers the interpreter uses.

The per-state rules live in :mod:`stepforge.asl.validation.rules`, the per-field checks in
:mod:`stepforge.asl.validation.fields`, the reading of the text in :mod:`stepforge.asl.validation.parsing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from stepforge.asl.compilation.compiler import compile_definition
from stepforge.asl.compilation.states import StateMachine
from stepforge.asl.validation.assignments import check_assignment_scopes
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
from stepforge.asl.validation.parsing import NOT_AN_OBJECT, Parsed, parse
from stepforge.asl.validation.positions import Position, Positions
from stepforge.asl.validation.reachability import Reachable, unreachable_resources
from stepforge.asl.validation.rules import check_machine

__all__ = ["CheckedDefinition", "Diagnostic", "ValidationReport", "validate", "validate_and_compile", "validate_source"]

#: Jackson's default maximum nesting depth, which AWS's parser applies.
MAX_JSON_DEPTH: Final = 1000
INTERNAL_ERROR: Final = "Internal validator error"
DEEP: Final = "TOO_DEEPLY_NESTED"


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


@dataclass(frozen=True)
class CheckedDefinition:
    """A definition judged once: the report, where each JSON pointer is in the text, and the compiled
    machine, which is there exactly when the report's result is ``OK``."""

    report: ValidationReport
    positions: Positions
    machine: StateMachine | None

    def position(self, diagnostic: Diagnostic) -> Position:
        """The (line, column) of a diagnostic in the text: its own, or where its pointer lands."""
        return diagnostic.position or self.positions.locate(diagnostic.location)


def validate_and_compile(
    text: str, *, machine_type: str = "STANDARD", max_results: int = 100, severity: str = WARNING,
    is_yaml: bool = False, reachable: Reachable | None = None,
) -> CheckedDefinition:
    """Read definition text once (JSON, or YAML when ``is_yaml``), validate it and, when it has no
    error, compile it. ``severity="ERROR"`` drops warnings from the report. ``reachable`` says
    whether this server can reach a Task resource; each one it cannot is a WARNING
    (:mod:`stepforge.asl.validation.reachability`); without it no resource is judged."""
    parsed = parse(text, is_yaml=is_yaml)
    found = _judge(parsed, machine_type)
    if reachable is not None and parsed.problem is None and not any(d.severity == ERROR for d in found):
        found = [*found, *unreachable_resources(parsed.document, reachable)]
    if any(d.severity == ERROR for d in found):
        return CheckedDefinition(_report(found, max_results, severity), parsed.positions, None)
    try:
        machine = compile_definition(parsed.document)
    except RecursionError:
        # A value nested within Jackson's depth can still be deeper than Python's stack lets the
        # compiler's recursion go. The rules report such JSONPath templates at the value (they compile
        # them, a few frames higher); whatever is left is the same finding for the whole definition.
        found = [*found, Diagnostic(ERROR, DEEP, "The definition is nested too deeply", "/")]
        return CheckedDefinition(_report(found, max_results, severity), parsed.positions, None)
    except Exception as exc:  # noqa: BLE001 - a compiler bug must not become an HTTP 500; the fuzz tests count these
        found = [*found, Diagnostic(ERROR, SCHEMA, f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}", "/")]
        return CheckedDefinition(_report(found, max_results, severity), parsed.positions, None)
    return CheckedDefinition(_report(found, max_results, severity), parsed.positions, machine)


def validate(
    definition_text: str, *, max_results: int = 100, machine_type: str = "STANDARD", severity: str = WARNING,
    reachable: Reachable | None = None,
) -> ValidationReport:
    """The report of :func:`validate_and_compile` (JSON text): ValidateStateMachineDefinition's answer,
    the same verdict CreateStateMachine gives."""
    return validate_and_compile(definition_text, machine_type=machine_type, max_results=max_results,
                                severity=severity, reachable=reachable).report


def validate_source(
    text: str, *, is_yaml: bool = False, machine_type: str = "STANDARD", severity: str = WARNING,
) -> tuple[ValidationReport, Positions]:
    """The report of :func:`validate_and_compile` for the text of a definition file (JSON, or YAML when
    ``is_yaml``), and where each pointer is in it, for ``file:line:col`` diagnostics."""
    checked = validate_and_compile(text, is_yaml=is_yaml, machine_type=machine_type, severity=severity)
    return checked.report, checked.positions


def _judge(parsed: Parsed, machine_type: str) -> list[Diagnostic]:
    if parsed.problem is not None:
        return [parsed.problem]
    return _collect(parsed.document, machine_type, parsed.positions.duplicates)


def _collect(document: Any, machine_type: str, duplicates: list[str]) -> list[Diagnostic]:
    if not is_object(document):
        return [Diagnostic(ERROR, SCHEMA, NOT_AN_OBJECT, None)]
    depth_problem = _too_deep(document)
    if depth_problem is not None:
        return [Diagnostic(ERROR, DEEP, "The definition is nested too deeply", depth_problem)]
    out = Collector()
    for pointer in duplicates:
        _duplicate_key(out, pointer)
    scope = Scope.top(document, machine_type)
    try:
        check_machine(out, document, scope)
    except RecursionError:
        out.error("The definition is nested too deeply", "", code=DEEP)
    except Exception as exc:  # noqa: BLE001 - a validator bug must not become an HTTP 500; fuzz/mutate.py counts these
        out.error(f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}", "")
    if not any(d.severity == ERROR for d in out.items):
        check_assignment_scopes(out, document, scope.top_language)
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
