"""Request validation against the operations' input shapes, as AWS's front end does it.

A value of the wrong JSON type is a SerializationException (AWS cannot deserialize it); a value
that breaks a constraint (required, length, range, enum, list size) is a ValidationException that
lists every violation: ``2 validation errors detected: Value null at 'name' failed to satisfy
constraint: Member must not be null; ...``. Names and patterns are left to the service, which
answers InvalidName / InvalidArn as AWS does. A value botocore's model marks ``sensitive`` (a
definition, an input, a cause, a task token) is never echoed: AWS says ``Value at 'input' ...``.
"""

from __future__ import annotations

from typing import Any

from stepforge.api.shapes import MODEL
from stepforge.service.errors import SerializationException, ValidationException

_SHAPES: dict[str, dict[str, Any]] = MODEL["shapes"]
_OPERATIONS: dict[str, str] = MODEL["operations"]
#: Shapes whose length the service checks itself (InvalidName rather than ValidationException).
_SERVICE_CHECKED = {"Name", "CharacterRestrictedName"}
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "boolean": (bool,), "integer": (int,), "long": (int,), "float": (int, float),
    "double": (int, float), "timestamp": (int, float, str), "structure": (dict,), "list": (list,),
    "map": (dict,), "blob": (str,),
}
#: The input string shapes botocore's stepfunctions model marks ``sensitive`` (api/shapes.py keeps no flags).
SENSITIVE_SHAPES = frozenset({
    "AliasDescription", "Definition", "SensitiveCause", "SensitiveData", "SensitiveError", "TaskToken",
    "TestStateStateName", "VersionDescription",
})
_TYPE_NAMES = {"string": "STRING_VALUE", "boolean": "BOOLEAN_VALUE", "integer": "VALUE_NUMBER_INT",
               "structure": "START_OBJECT", "list": "START_ARRAY"}


def validate(operation: str, params: dict[str, Any]) -> None:
    """Raise AWS's SerializationException or ValidationException for a request that breaks the model."""
    shape = _OPERATIONS.get(operation)
    if shape is None:
        return
    problems: list[str] = []
    _check_structure(_SHAPES[shape], params, "", problems)
    if problems:
        count = len(problems)
        raise ValidationException(f"{count} validation error{'s' if count > 1 else ''} detected: "
                                  + "; ".join(problems))


def _check(name: str, value: Any, path: str, problems: list[str]) -> None:
    shape: dict[str, Any] = _SHAPES[name]
    kind = shape["type"]
    if not _is_a(value, kind):
        raise SerializationException(_type_message(value, kind, path))
    if kind == "structure":
        _check_structure(shape, value, path + ".", problems)
    elif kind == "list":
        _check_size(shape, value, path, problems, "length")
        for index, item in enumerate(value, start=1):
            _check(shape["member"], item, f"{path}.{index}.member", problems)
    elif kind == "map":
        for key, item in value.items():
            _check(shape["value"], item, f"{path}.{key}", problems)
    elif kind == "string":
        if "enum" in shape and value not in shape["enum"]:
            problems.append(f"Value '{value}' at '{path}' failed to satisfy constraint: "
                            f"Member must satisfy enum value set: [{', '.join(shape['enum'])}]")
        elif name not in _SERVICE_CHECKED:
            _check_size(shape, value, path, problems, "length", sensitive=name in SENSITIVE_SHAPES)
    elif kind in ("integer", "long", "float", "double"):
        _check_size(shape, value, path, problems, "value")


def _is_a(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    if isinstance(value, float) and kind in ("integer", "long"):
        return False
    return isinstance(value, _TYPES[kind])


def _check_structure(shape: dict[str, Any], value: dict[str, Any], prefix: str, problems: list[str]) -> None:
    for member in shape.get("required", ()):
        if value.get(member) is None:
            problems.append(f"Value null at '{prefix}{member}' failed to satisfy constraint: "
                            "Member must not be null")
    for member, member_shape in shape["members"].items():
        item = value.get(member)
        if item is not None:
            _check(member_shape, item, prefix + member, problems)


def _check_size(shape: dict[str, Any], value: Any, path: str, problems: list[str], what: str, *,
                sensitive: bool = False) -> None:
    size = value if what == "value" else len(value)
    if "min" in shape and size < shape["min"]:
        problems.append(f"Value {_shown(value, what, sensitive)}at '{path}' failed to satisfy constraint: "
                        f"Member must have {what} greater than or equal to {shape['min']}")
    elif "max" in shape and size > shape["max"]:
        problems.append(f"Value {_shown(value, what, sensitive)}at '{path}' failed to satisfy constraint: "
                        f"Member must have {what} less than or equal to {shape['max']}")


def _shown(value: Any, what: str, sensitive: bool) -> str:
    """How a message shows the value that broke a constraint (a sensitive one not at all)."""
    if sensitive:
        return ""
    return "null " if what == "length" and not isinstance(value, str) else f"'{value}' "


def _type_message(value: Any, kind: str, path: str) -> str:
    found = type(value).__name__
    if isinstance(value, bool):
        found = "VALUE_TRUE" if value else "VALUE_FALSE"
    elif isinstance(value, str):
        found = "STRING_VALUE"
    elif isinstance(value, (int, float)):
        found = "VALUE_NUMBER"
    elif isinstance(value, dict):
        return "Start of structure or map found where not expected."
    elif isinstance(value, list):
        return "Start of list found where not expected"
    expected = _TYPE_NAMES.get(kind, kind.upper())
    return f"{found} can not be converted to {expected} at '{path}'"
