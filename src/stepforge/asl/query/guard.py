"""The bounded-evaluation guard: a runaway JSONata expression fails fast and alone.

jsonata-python is a pure-Python tree walker, so one expression (infinite recursion,
``$range(0, 1e9)``, a huge ``$pad``) could otherwise hold an engine thread and its memory for
ever. Three mechanisms bound it, each cheap enough to run on every evaluation:

* **A step hook** (:class:`Budget`): the adapter binds jsonata's ``__evaluate_entry`` /
  ``__evaluate_exit`` callbacks, so every node the evaluator visits counts. Entry checks the
  nesting depth (recursion) and, every few hundred steps, the deadline; exit charges the size of
  every *new* string, array or object the node produced against an allocation budget.
* **Argument checks** on the few built-ins that can build a huge value in one native call
  (``$pad``, ``$join``, ``$range``, ...; see :mod:`stepforge.asl.query.jsonata_functions`): they refuse
  before allocating.
* **A watchdog thread** (:class:`Watchdog`) for loops inside native functions that never return
  to the evaluator (``$sort`` of a large array): past the deadline it raises :class:`Exhausted`
  asynchronously in the evaluating thread (CPython delivers it at the next bytecode boundary).

The guard reads a monotonic clock, but only to bound resources: results never depend on it.
"""

from __future__ import annotations

import ctypes
import heapq
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one evaluation may use: wall time, nesting depth and bytes allocated."""

    seconds: float = 1.0
    max_depth: int = 200  # nested evaluator calls (about 65 levels of JSONata recursion), under Python's limit
    max_bytes: int = 64 * 1024 * 1024
    check_every: int = 256


DEFAULT_LIMITS = Limits()


class Exhausted(BaseException):
    """An evaluation went past its limits. A BaseException so that no ``except Exception`` in the
    evaluated library can swallow it."""

    reason = "The evaluation exceeded its time limit"


class _TooDeep(Exhausted):
    reason = "The evaluation exceeded the maximum depth of nested calls"


class _TooBig(Exhausted):
    reason = "The evaluation exceeded its memory limit"


@dataclass(slots=True)
class Budget:
    """What one evaluation has used so far; its methods are jsonata's entry/exit callbacks."""

    limits: Limits
    deadline: float
    depth: int = 0
    steps: int = 0
    allocated: int = 0
    seen: set[int] = field(default_factory=set)

    @classmethod
    def start(cls, limits: Limits) -> Budget:
        return cls(limits, time.monotonic() + limits.seconds)

    def enter(self, expr: Any, value: Any, env: Any) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise _TooDeep()
        self.steps += 1
        if self.steps % self.limits.check_every == 0 and time.monotonic() > self.deadline:
            raise Exhausted()

    def leave(self, expr: Any, value: Any, env: Any, result: Any) -> None:
        self.depth -= 1
        if isinstance(result, (str, list, dict)) and len(result) > 16:
            self.charge(result)

    def charge(self, value: str | list[Any] | dict[Any, Any]) -> None:
        """Count a produced value once (by identity): strings by length, containers per entry."""
        key = id(value)
        if key in self.seen:
            return
        self.seen.add(key)
        self.reserve(len(value) if isinstance(value, str) else 64 * len(value))

    def reserve(self, size: int) -> None:
        """Account for ``size`` bytes about to be allocated; refuse past the budget."""
        self.allocated += size
        if self.allocated > self.limits.max_bytes:
            raise _TooBig()

    def room(self) -> int:
        return self.limits.max_bytes - self.allocated


@dataclass(order=True, slots=True)
class _Entry:
    deadline: float
    thread_id: int = field(compare=False)
    done: bool = field(default=False, compare=False)


class Watchdog:
    """One daemon thread that interrupts evaluations still running past their deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[_Entry] = []
        self._thread: threading.Thread | None = None

    def run(self, seconds: float, work: Callable[[], T]) -> T:
        """Run ``work`` in this thread; raise :class:`Exhausted` if it outlives ``seconds``."""
        entry = self._register(seconds)
        try:
            try:
                return work()
            finally:
                self._finish(entry)
        except Exhausted:
            self._finish(entry)
            raise

    def _register(self, seconds: float) -> _Entry:
        entry = _Entry(time.monotonic() + seconds, threading.get_ident())
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="stepforge-jsonata-watchdog", daemon=True)
                self._thread.start()
            if not self._heap:
                self._wake.notify()
            heapq.heappush(self._heap, entry)
        return entry

    def _finish(self, entry: _Entry) -> None:
        with self._lock:
            entry.done = True
        # An interrupt injected just before ``done`` was set may still be pending: drop it.
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(entry.thread_id), None)

    def _loop(self) -> None:
        with self._lock:
            while True:
                while self._heap and self._heap[0].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait(1.0)
                    continue
                first = self._heap[0]
                delay = first.deadline - time.monotonic()
                if delay > 0:
                    self._wake.wait(min(delay, 0.1))
                    continue
                heapq.heappop(self._heap)
                first.done = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(first.thread_id),
                                                           ctypes.py_object(Exhausted))


WATCHDOG = Watchdog()
