"""The bounded-evaluation guard: a runaway JSONata expression fails fast and alone.

jsonata-python is a pure-Python tree walker, so one expression (infinite recursion,
``$range(0, 1e9)``, a huge ``$pad``, a catastrophic regex) could otherwise hold a thread and its
memory for ever. The guard bounds every evaluation *from inside the evaluating thread*: nothing
ever interrupts that thread from outside, so an evaluation can only stop where the evaluator or
a guarded function checks its :class:`Budget` — never in the middle of the caller's code (the
engine evaluates inside an open store transaction). Two kinds of checks do it:

* **A step hook**: the adapter binds jsonata's ``__evaluate_entry`` / ``__evaluate_exit``
  callbacks to :meth:`Budget.enter` / :meth:`Budget.leave`, so every node the evaluator visits
  counts. Entry checks the nesting depth (recursion) and, every ``check_every`` steps, the
  deadline; exit charges the size of every *new* string, array or object the node produced
  against an allocation budget.
* **Guarded natives** (:mod:`stepforge.asl.query.jsonata_functions`): a built-in that can loop or
  allocate at length without returning to the evaluator either reserves its output size before
  allocating (``$pad``, ``$join``, ``$range``, ``$split``, ``$replace``), splits its work into
  bounded native steps and counts them with :meth:`Budget.spend` (``$sort`` in runs, ``$distinct``
  per item), or runs with the time left as its timeout (regular expressions, :meth:`Budget.remaining`).

Natives left unguarded do work linear in values that already exist, and every such value was
charged when it was made, so the allocation budget bounds them too.

The guard reads a monotonic clock, but only to bound resources: results never depend on it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


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
    """What one evaluation has used so far; its methods are jsonata's entry/exit callbacks.

    Every method that refuses raises :class:`Exhausted` (or a subclass naming the limit) in the
    calling thread; the budget never acts on another thread.
    """

    limits: Limits
    deadline: float
    depth: int = 0
    steps: int = 0
    next_check: int = 0
    allocated: int = 0
    seen: set[int] = field(default_factory=set)

    @classmethod
    def start(cls, limits: Limits) -> Budget:
        return cls(limits, time.monotonic() + limits.seconds, next_check=limits.check_every)

    @classmethod
    def unbounded(cls) -> Budget:
        """A budget that never refuses, for code that runs outside any evaluation."""
        return cls(Limits(max_depth=2**63, max_bytes=2**63), float("inf"))

    def enter(self, expr: Any, value: Any, env: Any) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise _TooDeep()
        self.steps += 1
        if self.steps >= self.next_check:
            self.check_time()

    def leave(self, expr: Any, value: Any, env: Any, result: Any) -> None:
        self.depth -= 1
        if isinstance(result, (str, list, dict)) and len(result) > 16:
            self.charge(result)

    def spend(self, work: int) -> None:
        """Count ``work`` units (comparisons, iterations) done by a native loop; the deadline is
        checked once per ``check_every`` units, as for evaluator steps."""
        self.steps += work
        if self.steps >= self.next_check:
            self.check_time()

    def check_time(self) -> None:
        """Refuse if the deadline has passed."""
        self.next_check = self.steps + self.limits.check_every
        if time.monotonic() > self.deadline:
            raise Exhausted()

    def remaining(self) -> float | None:
        """Seconds left before the deadline (``None`` if there is none); refuses if none are left."""
        if self.deadline == float("inf"):
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Exhausted()
        return left

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

