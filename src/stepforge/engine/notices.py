"""Notices: the engine tells waiting requests that something they wait for has committed.

A long poll (GetActivityTask) or a StartSyncExecution waits on a *key* — "activity X has new
tasks", "execution Y ended" — instead of reading the store in a loop. The engine fires the keys a
batch touched once that batch has committed (from its own thread); each waiter is woken on its
own event loop with ``loop.call_soon_threadsafe``. A notice is a hint, not a message: the waiter
reads the store again to learn what happened, so a spurious wake costs one read and nothing else.

Subscribe *before* reading the store, then wait: a commit between the read and the wait still
wakes the subscription, so no notice is lost.

Several nodes (on PostgreSQL) share the keys through a :class:`Relay`: each engine publishes the keys
its batches fire, and fires locally the keys other nodes publish — so a GetActivityTask long poll on
one node wakes when another node's engine schedules the task. A relay may lose a key (a reconnect):
the waiters' periodic re-check of the store covers that, as it covers any lost hint.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Protocol, Self


def activity(arn: str) -> str:
    """The key fired when tasks of the activity ``arn`` commit."""
    return f"activity:{arn}"


def execution(arn: str) -> str:
    """The key fired when the execution ``arn`` ends."""
    return f"execution:{arn}"


class Relay(Protocol):
    """Carries notice keys to the other nodes of a deployment (PostgreSQL's LISTEN/NOTIFY)."""

    def publish(self, keys: list[str]) -> bool:
        """Send ``keys`` to every other node (best effort: a hint, not a message); False if dropped."""


class Subscription:
    """One waiter on one key; use as a context manager so that it is always removed."""

    def __init__(self, notices: Notices, key: str) -> None:
        self._notices = notices
        self.key = key
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def fire(self) -> None:
        """From any thread: wake :meth:`wait` (now, or at once when it is next called)."""
        try:
            self._loop.call_soon_threadsafe(self._event.set)
        except RuntimeError:  # its loop has closed: nobody waits any more
            pass

    async def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a notice; True if one came. Re-arms for the next one."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        self._event.clear()
        return True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._notices.unsubscribe(self)


class Notices:
    """The waiters of one engine, by key; safe to fire from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[Subscription]] = {}

    def subscribe(self, key: str) -> Subscription:
        """A new subscription to ``key`` (call from a running event loop)."""
        subscription = Subscription(self, key)
        with self._lock:
            self._waiters.setdefault(key, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            waiters = self._waiters.get(subscription.key)
            if waiters is not None:
                waiters.discard(subscription)
                if not waiters:
                    del self._waiters[subscription.key]

    def fire(self, keys: Iterable[str]) -> None:
        """Wake every subscription to any of ``keys``."""
        with self._lock:
            woken = [s for key in set(keys) for s in self._waiters.get(key, ())]
        for subscription in woken:
            subscription.fire()

    def wake_all(self) -> None:
        """Wake every subscription (the server is stopping: long polls answer now)."""
        with self._lock:
            woken = [s for waiters in self._waiters.values() for s in waiters]
        for subscription in woken:
            subscription.fire()

    def waited(self) -> bool:
        """Does any subscription wait, on any key? (A look without the lock: a subscription made
        meanwhile is seen by the next look.)"""
        return bool(self._waiters)

    def waiting(self, key: str) -> int:
        """How many subscriptions wait on ``key`` (for tests and metrics)."""
        with self._lock:
            return len(self._waiters.get(key, ()))
