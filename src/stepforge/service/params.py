"""Reading request parameters the way AWS validates them: required, typed, bounded."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from stepforge.service.errors import InvalidToken, ValidationException
from stepforge.store.cursors import InvalidCursor
from stepforge.store.records import Page

T = TypeVar("T")


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
    """One page of ``items`` after ``nextToken``, at most ``maxResults`` long, and the next token.

    For short lists only (versions, aliases: AWS caps them); a list that can grow without bound is read
    a page at a time from the store with :func:`store_page`.
    """
    size = page_size(params, default_size)
    token = optional_str(params, "nextToken", max_length=1024)
    start = _decode_token(token) if token else 0
    end = start + size
    return items[start:end], (_encode_token(end) if end < len(items) else None)


def page_size(params: Mapping[str, Any], default_size: int = 100) -> int:
    """``maxResults`` (1..1000; 0 or absent: ``default_size``)."""
    return optional_int(params, "maxResults", minimum=0, maximum=1000) or default_size


def store_page(kind: str, params: Mapping[str, Any], read: Callable[[str | None, int], Page[T]],
               default_size: int = 100, *, events: bool = False) -> tuple[list[T], str | None]:
    """One page read from the store by ``read(after, limit)``, and the ``nextToken`` of the next one.

    The token wraps the store's keyset cursor with the list's ``kind`` and a checksum, so a token of
    another list, or one edited by hand, is refused with InvalidToken — or, for EventBridge's and
    EventBridge Scheduler's lists (``events``), with ValidationException, as they refuse it.
    """
    size = page_size(params, default_size)
    token = optional_str(params, "nextToken", max_length=1024)
    try:
        found = read(None if token is None else cursor_of(kind, token), size)
    except (InvalidToken, InvalidCursor) as exc:
        if events:
            raise ValidationException("Invalid NextToken") from exc
        raise InvalidToken("Invalid Token: 'Invalid token'") from exc
    return found.items, None if found.next is None else token_of(kind, found.next)


def token_of(kind: str, cursor: str) -> str:
    """The opaque ``nextToken`` for a store cursor of the list ``kind``."""
    body = json.dumps({"list": kind, "after": cursor, "check": _check(kind, cursor)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode()


def cursor_of(kind: str, token: str) -> str:
    """The store cursor in a ``nextToken`` of the list ``kind``; InvalidToken for any other text."""
    try:
        body = json.loads(base64.urlsafe_b64decode(token.encode()))
        kind_, cursor, check = body["list"], body["after"], body["check"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidToken("Invalid Token: 'Invalid token'") from exc
    if kind_ != kind or not isinstance(cursor, str) or check != _check(kind, cursor):
        raise InvalidToken("Invalid Token: 'Invalid token'")
    return cursor


def _check(kind: str, cursor: str) -> str:
    return hashlib.sha256(f"stepforge:{kind}:{cursor}".encode()).hexdigest()[:16]


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
    return answer(key, [shape(item) for item in chosen], token)


def answer(key: str, shaped: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    """``{key: shaped, "nextToken": token}``, without the token on the last page."""
    response: dict[str, Any] = {key: shaped}
    if token:
        response["nextToken"] = token
    return response


def strict_json(text: str) -> Any:
    """``text`` parsed as strict JSON, as AWS parses an input or output: ValueError for invalid text,
    for NaN/Infinity/-Infinity (not JSON numbers, and they could not be written back as JSON) and
    for nesting too deep to parse."""
    if text.startswith("\ufeff"):  # as json.loads says it
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        return _STRICT.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _not_a_number(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


#: One decoder for every call (``json.loads`` with an option builds a new one each time).
_STRICT = json.JSONDecoder(parse_constant=_not_a_number)
