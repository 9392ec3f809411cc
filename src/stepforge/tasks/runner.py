"""Runs task work outside the engine thread: a thread pool, a process pool for isolation, deadlines.

Each piece of work reports exactly one :class:`Outcome` through its ``deliver`` callback: its own,
or the ``expired`` outcome when its deadline passes first (a thread cannot be killed; its late
result is dropped). ``inline`` runs everything in the caller's thread — for tests on a manual clock.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from stepforge.tasks.lambdas import Outcome, unknown

log = logging.getLogger(__name__)

Deliver = Callable[[Outcome], None]
#: Deadlines kept beyond twice those of calls still running before finished ones are dropped.
COMPACT_AT = 4096
#: The longest the deadline watcher sleeps at once (a far deadline, e.g. a task with no timeout in
#: practice, must not overflow the platform's wait).
MAX_WAIT = 3600.0


def _delivered(outcome: Outcome) -> None:
    """What a finished call holds instead of its ``deliver`` (which may hold a whole execution)."""


class _Call:
    """One piece of work's one outcome. Once finished it lets go of its callbacks: its deadline may
    stay in the heap until due (minutes), and must not keep the caller's execution alive so long."""

    __slots__ = ("deliver", "done", "expired", "lock")

    def __init__(self, deliver: Deliver, expired: Callable[[], Outcome]) -> None:
        self.deliver = deliver
        self.expired = expired
        self.lock = threading.Lock()
        self.done = False

    def finish(self, outcome: Outcome) -> None:
        with self.lock:
            if self.done:
                return
            self.done = True
            deliver, self.deliver, self.expired = self.deliver, _delivered, _no_outcome
        try:
            deliver(outcome)
        except Exception:
            log.exception("delivering a task outcome failed")


class Runner:
    """A pool for task work; ``run`` never blocks the caller (unless ``inline``)."""

    def __init__(self, threads: int = 32, processes: int = 0, *, inline: bool = False) -> None:
        self.inline = inline
        self._threads = ThreadPoolExecutor(threads, thread_name_prefix="stepforge-task") if not inline else None
        self._process_count = processes
        self._processes: ProcessPoolExecutor | None = None
        self._deadlines: list[tuple[float, int, _Call]] = []
        self._compact_at = COMPACT_AT
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._closing = False
        self.closed = threading.Event()  # set by close(): long waits (``.sync`` polls) end
        self._monitor: threading.Thread | None = None

    def run(self, work: Callable[..., Outcome], *args: Any, deliver: Deliver, timeout: float | None = None,
            expired: Callable[[], Outcome] | None = None, isolated: bool = False) -> None:
        """Start ``work(*args)``; ``isolated`` runs it in a worker process (``work`` must be importable)."""
        call = _Call(deliver, expired or (lambda: unknown("timed out")))
        if self.inline:
            call.finish(_guarded(work, *args))
            return
        executor = self._process_pool() if isolated else self._threads
        assert executor is not None
        if timeout is not None:
            self._arm(call, time.monotonic() + timeout)
        future: Future[Outcome] = (executor.submit(work, *args) if isolated  # a thread keeps the caller's context
                                   else executor.submit(contextvars.copy_context().run, _guarded, work, *args))
        future.add_done_callback(lambda done: call.finish(self._result(done)))

    def _result(self, future: Future[Outcome]) -> Outcome:
        try:
            return future.result()
        except BrokenProcessPool as exc:
            self._processes = None
            return unknown(f"the worker process ended: {exc}")
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be unpickled
            return unknown(f"{type(exc).__name__}: {exc}")

    def _process_pool(self) -> Executor:
        if self._processes is None:
            self._processes = ProcessPoolExecutor(self._process_count or None,
                                                  mp_context=multiprocessing.get_context("spawn"))
        return self._processes

    # -- deadlines -------------------------------------------------------------------------------

    def _arm(self, call: _Call, due: float) -> None:
        with self._wake:
            if len(self._deadlines) > self._compact_at:  # most are of calls that finished long before
                self._deadlines = [entry for entry in self._deadlines if not entry[2].done]
                heapq.heapify(self._deadlines)
                self._compact_at = 2 * len(self._deadlines) + COMPACT_AT
            heapq.heappush(self._deadlines, (due, next(self._seq), call))
            if self._monitor is None:
                self._monitor = threading.Thread(target=self._watch, name="stepforge-deadlines", daemon=True)
                self._monitor.start()
            self._wake.notify()

    def _watch(self) -> None:
        while True:
            with self._wake:
                while not self._closing and (not self._deadlines or self._deadlines[0][0] > time.monotonic()):
                    due = self._deadlines[0][0] if self._deadlines else None
                    self._wake.wait(None if due is None else min(MAX_WAIT, max(0.0, due - time.monotonic())))
                if self._closing:
                    return
                _, _, call = heapq.heappop(self._deadlines)
            if not call.done:
                call.finish(call.expired())

    def close(self) -> None:
        """Stop taking work; running handlers finish in the background."""
        self.closed.set()
        with self._wake:
            self._closing = True
            self._wake.notify()
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
        if self._processes is not None:
            self._processes.shutdown(wait=False, cancel_futures=True)


def _no_outcome() -> Outcome:
    """A finished call's ``expired`` (the deadline's watcher may still ask; :meth:`_Call.finish` drops it)."""
    return unknown("timed out")


def _guarded(work: Callable[..., Outcome], *args: Any) -> Outcome:
    try:
        return work(*args)
    except Exception as exc:  # a bug in an integration must still end the task
        log.exception("task work failed")
        return unknown(f"{type(exc).__name__}: {exc}")
