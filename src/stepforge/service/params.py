"""Reading request parameters the way AWS validates them: required, typed, bounded."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from stepforge.service.errors import InvalidToken, ValidationException


def required_str(params: Mapping[str, Any], key: str, *, max_length: int | None = None) -> str:
    value = params.get(key)
    if value is None:
        raise ValidationException(f"1 validation error detected: Value null at '{key}' failed to satisfy "
                                  "constraint: Member must not be null")
    return _check_str(value, key, max_length)


def optional_str(params: Mapping[str, Any], key: str, *, max_length: int | None = None) -> str | None:
    value = params.get(key)
    return None if value is None else _check_str(value, key, max_length)


def _check_str(value: Any, key: str, max_length: int | None) -> str:
    if not isinstance(value, str):
        raise ValidationException(f"Value at '{key}' must be a string")
    if max_length is not None and len(value) > max_length:
        raise ValidationException(
            f"1 validation error detected: Value at '{key}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {max_length}"
        )
    return value


def optional_int(params: Mapping[str, Any], key: str, *, minimum: int, maximum: int) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{key}' failed to satisfy constraint: "
            f"Member must have value between {minimum} and {maximum}"
        )
    return value


def optional_bool(params: Mapping[str, Any], key: str) -> bool:
    value = params.get(key, False)
    if not isinstance(value, bool):
        raise ValidationException(f"Value at '{key}' must be a boolean")
    return value


def page(items: list[Any], params: Mapping[str, Any], default_size: int = 100) -> tuple[list[Any], str | None]:
    """One page of ``items`` after ``nextToken``, at most ``maxResults`` long, and the next token."""
    return page_of(len(items), params, lambda start, size: items[start:start + size], default_size)


def page_of(total: int, params: Mapping[str, Any], fetch: Callable[[int, int], list[Any]],
            default_size: int = 100) -> tuple[list[Any], str | None]:
    """Like :func:`page` for ``total`` items read by ``fetch(offset, size)`` (e.g. from a store)."""
    size = optional_int(params, "maxResults", minimum=0, maximum=1000) or default_size
    token = optional_str(params, "nextToken", max_length=1024)
    start = _decode_token(token) if token else 0
    end = start + size
    return fetch(start, size), (_encode_token(end) if end < total else None)


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken("Invalid Token: 'Invalid token'") from exc
    if not isinstance(offset, int) or offset < 0:
        raise InvalidToken("Invalid Token: 'Invalid token'")
    return offset


def listing(key: str, items: list[Any], params: Mapping[str, Any],
            shape: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """A paginated List* answer: ``{key: [shape(item), ...], "nextToken": ...}``."""
    chosen, token = page(items, params)
    response: dict[str, Any] = {key: [shape(item) for item in chosen]}
    if token:
        response["nextToken"] = token
    return response
