"""Checks of single fields for the validator: types, ranges, paths, templates, JSONata expressions.

Each ``check_*`` function looks at one JSON value found at a JSON pointer and adds diagnostics to a
:class:`Collector`; none raises. Syntax is judged by the compilers the interpreter uses
(:func:`compile_path`, :func:`compile_reference_path`, :func:`compile_template`,
:func:`compile_intrinsic`), their :class:`DefinitionError` / :class:`PathSyntaxError` turned into
``SCHEMA_VALIDATION_FAILED`` diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, TypeGuard

from stepforge.asl.compilation.variables import assigned_name
from stepforge.asl.errors import DefinitionError
from stepforge.asl.jsontypes import json_type
from stepforge.asl.query.intrinsics import compile_intrinsic, is_intrinsic
from stepforge.asl.query.jsonata import compile_expression
from stepforge.asl.query.jsonpath import PathSyntaxError, compile_path, compile_reference_path
from stepforge.asl.query.languages import JSONATA, JSONPATH
from stepforge.asl.query.payload import DYNAMIC_SUFFIX, compile_template
from stepforge.asl.validation.positions import escape_token

ERROR: Final = "ERROR"
WARNING: Final = "WARNING"
SCHEMA: Final = "SCHEMA_VALIDATION_FAILED"
MAX_INTEGER: Final = 99999999
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: ``$states`` is the JSONata state's own data: no variable may take its name.
_RESERVED_VARIABLE: Final = "states"
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))\Z", re.ASCII
)
_LOOKS_DYNAMIC = re.compile(r"\$\$?(\.|\[)|States\.[A-Za-z.]+\(")
#: A comparison in a filter with a bare word on its right (``@.lang==es``), not true/false/null.
_UNQUOTED_LITERAL = re.compile(r"\[\?\(.*?(?:==|!=|<=|>=|<|>)\s*(?!(?:true|false|null)\b)[A-Za-z]\w*")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: ``severity`` ERROR or WARNING, AWS's ``code``, a message, and where it is.

    ``location`` is a JSON pointer (``/States/Fail/ErrorPath``, ``/`` for the root), AWS's
    ``[Source: ...]`` text for a JSON syntax error, or None for a problem with the whole document;
    ``position`` is the (line, column) of a syntax error in the text.
    """

    severity: str
    code: str
    message: str
    location: str | None
    position: tuple[int, int] | None = None

    def describe(self) -> str:
        """``CODE: message at /location``, the form AWS joins into an InvalidDefinition message."""
        if self.location is None or self.position is not None:
            return f"{self.code}: {self.message}"
        return f"{self.code}: {self.message} at {self.location}"

    def to_api(self) -> dict[str, str]:
        """The diagnostic as ValidateStateMachineDefinition returns it."""
        body = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            body["location"] = self.location
        return body


@dataclass
class Collector:
    """The diagnostics found so far, in the order found."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, message: str, at: str, *, code: str = SCHEMA) -> None:
        """Add an ERROR at the pointer ``at`` (``""`` is the root)."""
        self.items.append(Diagnostic(ERROR, code, message, at or "/"))

    def warning(self, code: str, message: str, at: str) -> None:
        """Add a WARNING at the pointer ``at``."""
        self.items.append(Diagnostic(WARNING, code, message, at or "/"))


@dataclass(frozen=True)
class Scope:
    """What a rule needs to know besides the value: machine type, languages, names seen so far."""

    machine_type: str
    top_language: str
    language: str
    state_names: set[str] = field(default_factory=set)
    depth: int = 0
    #: Graph findings (targets, reachability, terminal states): AWS reports them only for a
    #: definition without schema errors.
    graph: Collector = field(default_factory=Collector)

    @staticmethod
    def top(document: Any, machine_type: str) -> Scope:
        """The scope of a whole definition."""
        language = document.get("QueryLanguage")
        top = language if language in (JSONPATH, JSONATA) else JSONPATH
        return Scope(machine_type, top, top)

    def with_language(self, language: str) -> Scope:
        """The same scope for a state in ``language``."""
        return replace(self, language=language)

    def nested(self) -> Scope:
        """The scope of a branch or item processor (state names stay shared: they are global)."""
        return replace(self, language=self.top_language, depth=self.depth + 1)


def at_key(pointer: str, key: str) -> str:
    """The pointer of member ``key`` of the object at ``pointer``."""
    return f"{pointer}/{escape_token(key)}"


def is_object(value: Any) -> TypeGuard[dict[str, Any]]:
    """Whether ``value`` is a JSON object."""
    return isinstance(value, dict)


def is_expression(value: Any) -> bool:
    """Whether a JSON value is a JSONata expression string ``{% ... %}``."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


def _field(at: str) -> str:
    return at.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def _expected(out: Collector, kind: str, value: Any, at: str) -> None:
    out.error(f"Expected value of type {kind} but found {json_type(value)}", at)


# -- scalar fields ------------------------------------------------------------------------------------


def check_string(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A JSON string."""
    if not isinstance(value, str):
        _expected(out, "string", value, at)


def check_non_empty_string(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A string of at least one character."""
    if not isinstance(value, str) or not value:
        out.error("Expected a non-empty string", at)


def check_boolean(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        _expected(out, "boolean", value, at)


def check_object(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A JSON object."""
    if not is_object(value):
        _expected(out, "object", value, at)


def integer(minimum: int, maximum: int = MAX_INTEGER, *, expression: bool = True) -> Any:
    """A checker for an integer in [minimum, maximum] (or a JSONata expression in a JSONata state)."""

    def check(out: Collector, value: Any, at: str, scope: Scope) -> None:
        if expression and scope.language == JSONATA and isinstance(value, str):
            check_expression(out, value, at, scope)
        elif isinstance(value, bool) or not isinstance(value, int):
            _expected(out, "integer", value, at)
        elif not minimum <= value <= maximum:
            out.error(f"Value must be between {minimum} and {maximum}", at)

    return check


def number(minimum: float, maximum: float | None = None, *, expression: bool = True) -> Any:
    """A checker for a number in [minimum, maximum]."""

    def check(out: Collector, value: Any, at: str, scope: Scope) -> None:
        if expression and scope.language == JSONATA and isinstance(value, str):
            check_expression(out, value, at, scope)
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            _expected(out, "number", value, at)
        elif value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            out.error(f"Value must be {bound}", at)

    return check


def one_of(*allowed: str) -> Any:
    """A checker for a string among ``allowed``."""

    def check(out: Collector, value: Any, at: str, scope: Scope) -> None:
        if value not in allowed:
            out.error(f"Value must be one of [{', '.join(allowed)}]", at)

    return check


def check_timestamp(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """An RFC 3339 timestamp (a JSONata state may give an expression instead)."""
    if scope.language == JSONATA and is_expression(value):
        check_expression(out, value, at, scope)
    elif not isinstance(value, str) or not is_rfc3339(value):
        out.error("String does not match RFC3339 timestamp", at)


def is_rfc3339(text: str) -> bool:
    """Whether ``text`` is a valid RFC 3339 date-time with an uppercase ``T`` and a zone."""
    match = _RFC3339.match(text)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    try:
        datetime(year, month, day, hour, minute, min(second, 59))
    except ValueError:
        return False
    offset = match.group(8)
    return second <= 60 and (offset == "Z" or (int(match.group(9)) < 24 and int(match.group(10)) < 60))


# -- paths, templates, intrinsics ------------------------------------------------------------------------


def check_path(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A JSONPath (``$.x``, ``$$.x``, ``$var``); null is allowed where the field says so."""
    _check_path_text(out, value, at, compile_path, "JSONPath")


def check_required_path(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A JSONPath that may not be null."""
    if value is None:
        _expected(out, "string", value, at)
    else:
        check_path(out, value, at, scope)


def check_reference_path(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A reference path (``ResultPath``): a path to one node, or null."""
    _check_path_text(out, value, at, compile_reference_path, "Reference Path")


def _check_path_text(out: Collector, value: Any, at: str, compile_text: Callable[[str], object], what: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        _expected(out, "string", value, at)
        return
    try:
        compile_text(value)
    except PathSyntaxError as exc:
        out.error(f"The value for the field '{_field(at)}' must be a valid {what}: {exc.problem}", at)
        return
    warn_lenient_path(out, value, at)


def warn_lenient_path(out: Collector, text: str, at: str) -> None:
    """Warn about path text AWS accepts but reads loosely: trailing blanks, unquoted filter literals."""
    if text != text.rstrip():
        out.warning("PATH_TRAILING_BLANK", "The path ends with blanks, which are ignored", at)
    if _UNQUOTED_LITERAL.search(text):
        out.warning("UNQUOTED_FILTER_LITERAL", "A filter compares with an unquoted word, read as a string; "
                    "quote it", at)


def check_path_or_intrinsic(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """``ErrorPath`` / ``CausePath``: a path or an intrinsic function call."""
    if isinstance(value, str) and is_intrinsic(value):
        _compiled(out, at, lambda: compile_intrinsic(value, path=at))
    else:
        check_required_path(out, value, at, scope)


def check_template(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A payload template (``Parameters``, ``ResultSelector``, ``ItemSelector``): an object."""
    if not is_object(value):
        _expected(out, "object", value, at)
        return
    _compiled(out, at, lambda: compile_template(value, at))
    warn_static_paths(out, value, at)


def check_pass_parameters(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A Pass state's ``Parameters``: a template object, or an array of templates (AWS accepts one)."""
    if not isinstance(value, list):
        check_template(out, value, at, scope)
        return
    _compiled(out, at, lambda: compile_template(value, at))
    warn_static_paths(out, value, at)


def _compiled(out: Collector, at: str, build: Any) -> None:
    try:
        build()
    except DefinitionError as exc:
        out.error(exc.message, exc.path or at)
    except PathSyntaxError as exc:
        out.error(str(exc), at)
    except RecursionError:
        out.error("The value is nested too deeply", at, code="TOO_DEEPLY_NESTED")


def warn_static_paths(out: Collector, value: Any, at: str) -> None:
    """NO_DOLLAR: a key without ``.$`` whose string value looks like a path or intrinsic call."""
    pending: list[tuple[Any, str]] = [(value, at)]
    while pending:
        node, pointer = pending.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                member = at_key(pointer, key)
                if isinstance(item, str) and not key.endswith(DYNAMIC_SUFFIX) and _LOOKS_DYNAMIC.match(item):
                    out.warning("NO_DOLLAR", f"The value of the field '{key}' looks like a JSONPath or an "
                                "intrinsic function, but the field name does not end with '.$'", member)
                elif not key.endswith(DYNAMIC_SUFFIX):
                    pending.append((item, member))
        elif isinstance(node, list):
            pending.extend((item, f"{pointer}/{i}") for i, item in enumerate(node))


def check_expression(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A JSONata expression string ``{% ... %}``, parsed by the same parser the compiler uses."""
    if not is_expression(value):
        out.error("The value must be a JSONata expression enclosed in '{%' and '%}'", at)
        return
    try:
        compile_expression(value, at)
    except DefinitionError as exc:
        out.error(exc.message, at)


def check_jsonata_value(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A JSON value in which every string that starts with ``{%`` is a complete JSONata expression."""
    pending: list[tuple[Any, str]] = [(value, at)]
    while pending:
        node, pointer = pending.pop()
        if isinstance(node, str) and node.startswith("{%"):
            check_expression(out, node, pointer, scope)
        elif isinstance(node, dict):
            pending.extend((item, at_key(pointer, key)) for key, item in node.items())
        elif isinstance(node, list):
            pending.extend((item, f"{pointer}/{i}") for i, item in enumerate(node))


def check_jsonata_object(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """``Arguments`` and the like: an object or a single expression."""
    if not is_object(value) and not is_expression(value):
        out.error("The value must be a JSON object or a JSONata expression", at)
    else:
        check_jsonata_value(out, value, at, scope)


def check_jsonata_array(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """A JSONata Map's ``Items``: an array or a single expression."""
    if not isinstance(value, list) and not is_expression(value):
        out.error(f"The field '{_field(at)}' must be an array or a JSONata expression", at)
    else:
        check_jsonata_value(out, value, at, scope)


def check_assign(out: Collector, value: Any, at: str, scope: Scope) -> None:
    """``Assign``: an object whose keys are variable names (``name.$`` in JSONPath)."""
    if not is_object(value):
        _expected(out, "object", value, at)
        return
    for key in value:
        name = assigned_name(key, scope.language)
        if name == _RESERVED_VARIABLE:
            out.error(f"The variable name '{name}' is reserved", at_key(at, key))
        elif not _VARIABLE.match(name) or len(name) > 80:
            out.error(f"The variable name '{name}' is invalid: use letters, digits and '_', not starting "
                      "with a digit, at most 80 characters", at_key(at, key))
    if scope.language == JSONPATH:
        _compiled(out, at, lambda: compile_template(value, at))
    else:
        check_jsonata_value(out, value, at, scope)
