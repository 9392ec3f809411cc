"""Executions counted per state machine, a batch at a time: AWS's Executions* counters and ExecutionTime.

Every execution adds to these, so they are kept without prometheus-client's per-call machinery (a
``labels()`` lookup and a lock per increment, three locks per histogram observation): the engine's
thread adds a batch's executions to a staging tally of its own, without locks, and :meth:`Tally.commit`
merges it into the totals under one lock once the batch is reported. A scrape reads the totals under
the same lock and writes them as the counters and histogram prometheus-client would (``_total``;
``_bucket``/``_sum``/``_count``).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

#: The counters, by the phase that names them (``Executions<phase>``, ``RedrivenExecutions<phase>``).
PHASES = ("Started", "Succeeded", "Failed", "Aborted", "TimedOut", "Redriven")
REDRIVEN_PHASES = ("Succeeded", "Failed", "Aborted", "TimedOut")


@dataclass(slots=True)
class _Machine:
    """One state machine's figures: counts per counter name, ExecutionTime observations per bucket."""

    counts: dict[str, int] = field(default_factory=dict)
    buckets: list[int] = field(default_factory=list)
    total_ms: float = 0.0


class Tally(Collector):
    """Executions counted per state machine (the ``StateMachineArn`` label) on ``node``.

    The ``add``/``observe`` methods are for one thread (the engine's); :meth:`commit` makes what they
    added visible to :meth:`collect`, which any thread may call."""

    def __init__(self, namespace: str, node: str, buckets: Sequence[float]) -> None:
        self.namespace, self.node = namespace, node
        self.bounds = list(buckets)
        self._les: list[str] = [floatToGoString(bound) for bound in self.bounds]  # type: ignore[no-untyped-call]
        self._staged: dict[str, _Machine] = {}
        self._totals: dict[str, _Machine] = {}
        self._lock = threading.Lock()

    def add(self, machine: str, counter: str) -> None:
        """One more of ``counter`` (``ExecutionsStarted``, ``RedrivenExecutionsFailed``...) for ``machine``."""
        counts = (self._staged.get(machine) or self._stage(machine)).counts  # a call only for a new machine
        counts[counter] = counts.get(counter, 0) + 1

    def observe(self, machine: str, milliseconds: float) -> None:
        """One ExecutionTime observation for ``machine``."""
        staged = self._staged.get(machine) or self._stage(machine)
        staged.buckets[bisect.bisect_left(self.bounds, milliseconds)] += 1
        staged.total_ms += milliseconds

    def _stage(self, machine: str) -> _Machine:
        found = self._staged[machine] = _Machine(buckets=[0] * len(self.bounds))
        return found

    def commit(self) -> None:
        """Merge what was staged since the last commit into the totals (once per batch)."""
        if not self._staged:
            return
        staged, self._staged = self._staged, {}
        with self._lock:
            for machine, figures in staged.items():
                total = self._totals.get(machine)
                if total is None:
                    self._totals[machine] = figures
                    continue
                for name, count in figures.counts.items():
                    total.counts[name] = total.counts.get(name, 0) + count
                buckets = total.buckets
                for index, count in enumerate(figures.buckets):
                    if count:
                        buckets[index] += count
                total.total_ms += figures.total_ms

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            totals = {machine: (dict(m.counts), list(m.buckets), m.total_ms) for machine, m in self._totals.items()}
        labels = ["StateMachineArn", "node"]
        for prefix, phases in (("Executions", PHASES), ("RedrivenExecutions", REDRIVEN_PHASES)):
            for phase in phases:
                name = f"{prefix}{phase}"
                family = CounterMetricFamily(f"{self.namespace}_{name}", _help(prefix, phase), labels=labels)
                for machine, (counts, _, _) in totals.items():
                    if name in counts:
                        family.add_metric([machine, self.node], counts[name])
                yield family
        times = HistogramMetricFamily(f"{self.namespace}_ExecutionTime",
                                      "Milliseconds from an execution's start to its end", labels=labels)
        for machine, (_, buckets, total_ms) in totals.items():
            if sum(buckets):
                times.add_metric([machine, self.node], self._cumulative(buckets), total_ms)
        yield times

    def _cumulative(self, buckets: list[int]) -> list[tuple[str, float]]:
        running, found = 0, []
        for le, count in zip(self._les, buckets, strict=True):
            running += count
            found.append((le, float(running)))
        return found


def _help(prefix: str, phase: str) -> str:
    return f"Executions {phase.lower()}" if prefix == "Executions" else f"Redriven executions {phase.lower()}"
