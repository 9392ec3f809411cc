"""The state machines read on every Start*Execution (and by execution logs), kept for a moment.

StartExecution and StartSyncExecution read the machine (its type, definition, role, logging) on
every call; most calls name a machine that has not changed. :class:`MachineCache` keeps each record
read for at most :data:`TTL` seconds. This process's own changes clear it at once (the API calls
:meth:`MachineCache.clear` after every write that changes a machine, version or alias, before it
answers), so a client sees its own UpdateStateMachine or DeleteStateMachine immediately; a change
made by another node sharing the store shows within :data:`TTL` — as AWS documents for
UpdateStateMachine, whose new definition "may take a few seconds" to apply to new executions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from stepforge.store.records import StateMachineRecord

#: How long a record read from the store is used without reading it again (seconds).
TTL = 1.0
#: Records kept at most (the oldest read goes first).
SIZE = 4096


class MachineCache:
    """State machine records by ARN, each kept for :data:`TTL` seconds; thread-safe."""

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._records: dict[str, tuple[float, StateMachineRecord | None]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, arn: str, now: float, read: Callable[[str], StateMachineRecord | None]) -> StateMachineRecord | None:
        """The record of ``arn`` read at most :data:`TTL` seconds before ``now``, else ``read(arn)``'s."""
        found = self._records.get(arn)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
        generation = self._generation
        record = read(arn)
        with self._lock:
            if generation == self._generation:  # no change was made while it was read
                if len(self._records) >= SIZE:
                    self._records.pop(next(iter(self._records)))
                self._records[arn] = (now, record)
        return record

    def peek(self, arn: str, now: float) -> StateMachineRecord | None:
        """The record of ``arn`` if one was read at most :data:`TTL` seconds before ``now`` (no read)."""
        found = self._records.get(arn)
        return found[1] if found is not None and now - found[0] < self.ttl else None

    def clear(self) -> None:
        """Forget every record: a machine, version or alias changed here."""
        with self._lock:
            self._generation += 1
            self._records.clear()
