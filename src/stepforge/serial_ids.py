"""Ids shaped as version-4 UUIDs, unique within a process and cheap to make.

For ids that must be unique but need not be unguessable (request ids, audit event ids): each
:class:`Serial` draws its first 80 bits at random once, then counts from a random start, where
``uuid4()`` per id costs a system call for randomness (measurable on every API call).
"""

from __future__ import annotations

import itertools
import uuid

_LOW = 0xFFFF_FFFF_FFFF


class Serial:
    """A sequence of ids; :meth:`next` is safe from any thread (``itertools.count`` is atomic)."""

    def __init__(self) -> None:
        base = uuid.uuid4()
        self._prefix, self._start = str(base)[:24], base.int & _LOW
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{(self._start + next(self._counter)) & _LOW:012x}"
