"""Definition text to a JSON document, once: JSON (or YAML for definition files), with where each value is.

:func:`parse` never raises. Text AWS would refuse before reading it (too large, blank, not JSON)
becomes one :class:`Diagnostic` in AWS's shape: ``INVALID_JSON_DESCRIPTION`` reads like the
message of AWS's parser (Jackson) and carries the line and column of the problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Final

from stepforge.asl.validation.fields import ERROR, SCHEMA, Diagnostic
from stepforge.asl.validation.positions import Positions, json_positions, yaml_positions

MAX_DEFINITION_BYTES: Final = 1024 * 1024
INVALID_JSON: Final = "INVALID_JSON_DESCRIPTION"
INVALID_YAML: Final = "INVALID_YAML_DESCRIPTION"
NOT_AN_OBJECT: Final = "Definition must be a valid JSON object"


@dataclass(frozen=True)
class Parsed:
    """A definition's text read once: the document (None when unreadable), why it is unreadable,
    and the place of every JSON pointer in the text (with the pointers of duplicated keys)."""

    document: Any
    problem: Diagnostic | None
    positions: Positions


def parse(text: str, *, is_yaml: bool = False) -> Parsed:
    """Read definition text: JSON, or YAML when ``is_yaml`` (a definition file)."""
    positions = yaml_positions(text) if is_yaml else json_positions(text)
    if is_yaml:
        try:
            text = _yaml_as_json(text)
        except _YamlProblem as exc:
            return Parsed(None, Diagnostic(ERROR, INVALID_YAML, exc.message, None, exc.position), positions)
    problem = _check_text(text)
    if problem is not None:
        return Parsed(None, problem, positions)
    try:
        return Parsed(json.loads(text, parse_constant=_refuse_constant), None, positions)
    except RecursionError:
        message = "Document nesting depth exceeds the maximum allowed"
        return Parsed(None, Diagnostic(ERROR, INVALID_JSON, message, None), positions)
    except ValueError as exc:
        return Parsed(None, _json_error(text, exc), positions)


def _check_text(text: str) -> Diagnostic | None:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DEFINITION_BYTES:
        message = f"Definition exceeds the maximum size of {MAX_DEFINITION_BYTES} bytes"
        return Diagnostic(ERROR, SCHEMA, message, "/")
    if not text.strip():
        return Diagnostic(ERROR, SCHEMA, NOT_AN_OBJECT, None)
    return None


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


class _YamlProblem(Exception):
    def __init__(self, message: str, position: tuple[int, int]) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _yaml_as_json(text: str) -> str:
    """YAML read as YAML 1.2 (:mod:`stepforge.asl.validation.yaml12`), as the JSON it stands for."""
    import yaml  # type: ignore[import-untyped]

    from stepforge.asl.validation import yaml12

    try:
        return json.dumps(yaml12.load(text), default=str)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise _YamlProblem(f"{exc.problem or exc}", where) from None
    except (yaml.YAMLError, RecursionError, TypeError, ValueError) as exc:
        raise _YamlProblem(f"Unreadable YAML: {exc}", (1, 1)) from None
