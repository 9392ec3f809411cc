"""Back-off and a rate-limited log for the engine loop while its batches keep failing.

A full disk fails every batch the same way: retrying at once would spin a core and log thousands
of lines a second. Each failure waits twice as long as the one before (up to ``BACKOFF_MAX``), a
success resets it, and at most one line is logged per ``LOG_EVERY`` seconds.
"""

from __future__ import annotations

import logging

from stepforge.store.base import StorageFull, StoreUnavailable

BACKOFF_FIRST, BACKOFF_MAX = 0.05, 5.0
LOG_EVERY = 10.0


class FailureLog:
    """Back-off and a rate-limited log for a loop whose step keeps failing."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self.streak = 0
        self.unlogged = 0
        self.logged_at: float | None = None

    def record(self, exc: Exception, now: float) -> float:
        """Note a failure at ``now`` (monotonic seconds); returns how long to wait before the next try."""
        self.streak += 1
        if self.logged_at is None or now - self.logged_at >= LOG_EVERY:
            more = f" ({self.unlogged} more failures since the last report)" if self.unlogged else ""
            if isinstance(exc, (StorageFull, StoreUnavailable)):
                self.logger.error("engine batch rolled back, retrying with back-off: %s%s", exc, more)
            else:
                self.logger.error("engine step failed%s", more, exc_info=exc)
            self.logged_at, self.unlogged = now, 0
        else:
            self.unlogged += 1
        return float(min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(self.streak - 1, 30)))

    def clear(self) -> None:
        """A step succeeded: the next failure waits BACKOFF_FIRST again."""
        self.streak = 0
