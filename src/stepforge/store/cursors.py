"""Keyset cursors: the position after the last row of a page, as text a store reads back.

A cursor is a JSON array of the sort key's values (e.g. ``[started, rowid]``); a store checks its
shape when it reads it back, so a cursor from another list, or edited by hand, is refused.
"""

from __future__ import annotations

import json
from typing import Any


class InvalidCursor(ValueError):
    """A cursor that no page of this list returned (malformed or tampered with)."""


def encode(*key: Any) -> str:
    """The cursor after a row whose sort key is ``key``."""
    return json.dumps(list(key), separators=(",", ":"))


def decode(cursor: str, *types: type) -> tuple[Any, ...]:
    """The sort key in ``cursor``, checked against the key's ``types`` (an int is also a float)."""
    try:
        key = json.loads(cursor)
    except ValueError as exc:
        raise InvalidCursor(cursor) from exc
    if not isinstance(key, list) or len(key) != len(types):
        raise InvalidCursor(cursor)
    for value, kind in zip(key, types, strict=True):
        fits = isinstance(value, (int, float)) if kind is float else isinstance(value, kind)
        if not fits or isinstance(value, bool):
            raise InvalidCursor(cursor)
    return tuple(float(v) if kind is float else v for v, kind in zip(key, types, strict=True))
