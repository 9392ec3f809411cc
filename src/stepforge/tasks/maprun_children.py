"""The EXPRESS children of Map Runs, between the store's item rows and the engine's in-memory runner.

A batch that launches EXPRESS children only marks their items RUNNING; once it commits,
:meth:`ExpressChildren.start` hands each child to the runner the engine connects
(:meth:`ExpressChildren.connect`: ``engine.express``). A child's end, from whichever thread ends
it, waits in :meth:`ExpressChildren.ended` until the engine's next batch :meth:`takes
<ExpressChildren.take>` a batch of them and records their results in their items (group commit:
one transaction for up to a batch of children). A batch that rolls back gives back what it took.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from stepforge.store.records import ExecutionRecord

log = logging.getLogger(__name__)

#: Called with a child's record when it ends.
Done = Callable[[ExecutionRecord], None]
#: Starts a child in memory; True when it ended before returning (``done`` is then not called).
Launch = Callable[[ExecutionRecord, Done], bool]
#: Stops a running child; False when none runs under that ARN.
Halt = Callable[[str], bool]


def _unconnected(child: ExecutionRecord, done: Done) -> bool:
    raise RuntimeError(f"no runner is connected for the EXPRESS child {child.arn}")


class ExpressChildren:
    """EXPRESS children of Map Runs: started after a commit, their ends queued for the engine's batch."""

    def __init__(self, notify: Callable[[], None]) -> None:
        self.notify = notify
        self._launch: Launch = _unconnected
        self._halt: Halt = lambda arn: False
        self._ended: deque[ExecutionRecord] = deque()
        self._taken: list[ExecutionRecord] = []
        self._lock = threading.Lock()

    def connect(self, launch: Launch, halt: Halt) -> None:
        """How children start and stop (the engine connects its EXPRESS runner)."""
        self._launch, self._halt = launch, halt

    def start(self, children: list[ExecutionRecord]) -> None:
        """After the commit that marked their items RUNNING: run these children."""
        for child in children:
            try:
                if self._launch(child, self.ended):
                    self.ended(child)
            except Exception:  # a bug must not stop the others; the item stays RUNNING until a restart
                log.exception("starting the Map Run child %s failed", child.arn)

    def stop(self, arns: list[str]) -> None:
        """After the commit that aborted their Map Run: stop these children (each ends ABORTED)."""
        for arn in arns:
            self._halt(arn)

    def ended(self, child: ExecutionRecord) -> None:
        """A child ended (from any thread): queue it for the engine's next batch."""
        with self._lock:
            self._ended.append(child)
        self.notify()

    def take(self, limit: int) -> list[ExecutionRecord]:
        """Up to ``limit`` ended children, for the engine batch that records them."""
        with self._lock:
            taken = [self._ended.popleft() for _ in range(min(limit, len(self._ended)))]
        self._taken.extend(taken)
        return taken

    def committed(self) -> None:
        """The batch that took children committed: they are recorded."""
        self._taken = []

    def give_back(self) -> None:
        """The batch that took children rolled back: the next one takes them again."""
        with self._lock:
            self._ended.extendleft(reversed(self._taken))
        self._taken = []

    def waiting(self) -> bool:
        """Are ended children waiting for a batch?"""
        with self._lock:
            return bool(self._ended)
