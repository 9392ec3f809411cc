"""What a committed batch did, told to whoever watches the engine (metrics, traces, the dashboard).

The engine calls its ``observer`` once per batch, *after* the commit and before the batch's tasks
start, with a :class:`BatchDone`. A batch that rolled back is never reported, so whatever counts
from these reports counts only what the store holds. The observer runs on the engine's thread:
it must be quick and must not raise (the engine logs and ignores an observer's error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from stepforge.asl.records import Event
from stepforge.store.records import ExecutionRecord


@dataclass(slots=True)
class BatchDone:
    """One committed batch: the history each execution got in it, and the engine's own figures.

    ``steps`` holds, in commit order, each execution's record (as saved at the end of the batch)
    with the events appended to its history by one step. ``timer_lag`` is how late the most
    overdue timer fired (seconds, 0 without timers); ``seconds`` the whole batch, ``commit_seconds``
    its commit alone.
    """

    now: float
    steps: list[tuple[ExecutionRecord, list[Event]]] = field(default_factory=list)
    writes: int = 0
    signals: int = 0
    timers: int = 0
    timer_lag: float = 0.0
    seconds: float = 0.0
    commit_seconds: float = 0.0

    @property
    def size(self) -> int:
        """How many pieces of work the batch handled (API writes, signals, timers)."""
        return self.writes + self.signals + self.timers


BatchObserver = Callable[[BatchDone], None]
