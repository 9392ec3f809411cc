"""Reads of rows that rarely change, kept in memory until a transaction that changes them commits.

Every StartExecution reads its state machine, and every execution that starts or ends asks whether
any event rule listens: rows that change a few times a day, read thousands of times a second. One
SQLite database has one writer, in this process (the data directory is locked), so the process sees
every change: a :class:`CommittedCache` keeps what was read, and the writer forgets it all
(:meth:`CommittedCache.changed`) right after committing a transaction that wrote that kind of row,
before it lets the next transaction start. A transaction that wrote such a row reads its own
changes from the database until it ends (see :class:`~stepforge.store.sqlite_db.SqliteWriter`).

A reader racing a commit must not keep what it read before it: each read remembers the generation
it started in, and keeps its value only if no commit changed the kind meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
#: Values kept at most per kind (the oldest read goes first).
SIZE = 4096
#: The kinds of rows cached, each with the writes that change them.
MACHINES, RULES = "machines", "rules"


class CommittedCache(Generic[V]):
    """Values read from committed rows of one kind, by key; thread-safe. Values are shared: keep
    only immutable ones, or copy them on the way out."""

    def __init__(self) -> None:
        self._values: dict[Hashable, V] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, read: Callable[[], V]) -> V:
        """The value of ``key``: as kept, else ``read()``'s (kept unless a commit changed the kind meanwhile)."""
        try:
            return self._values[key]
        except KeyError:
            pass
        generation = self._generation
        value = read()
        with self._lock:
            if generation == self._generation:
                if len(self._values) >= SIZE:
                    self._values.pop(next(iter(self._values)))
                self._values[key] = value
        return value

    def changed(self) -> None:
        """A committed transaction changed rows of this kind: forget every value."""
        with self._lock:
            self._generation += 1
            self._values.clear()
