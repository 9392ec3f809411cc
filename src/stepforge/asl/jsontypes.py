"""The names of JSON value types as AWS's messages write them."""

from __future__ import annotations

from typing import Any

_NAMES: dict[type, str] = {str: "string", list: "array", dict: "object"}


def json_type(value: Any) -> str:
    """``null``, ``boolean``, ``number``, ``string``, ``array`` or ``object`` (booleans are not numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return _NAMES.get(type(value), type(value).__name__)
