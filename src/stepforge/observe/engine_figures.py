"""The engine's own figures per committed batch, kept in plain numbers and written when scraped.

A batch updates six figures (batches, batch size, ready work, timer lag, batch and commit time);
as prometheus-client's metrics that is a label lookup and one to three locks each, every batch. Here
the engine's thread updates plain numbers under one lock per batch, and :meth:`EngineFigures.collect`
writes them as the Counter, Histograms and Gauge prometheus-client would: the same names, help,
labels (``node``), samples in the same order, ``_created`` included (the time of the first batch).
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from stepforge.engine.observer import BatchDone

SECOND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, float("inf"))
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, float("inf"))


@dataclass(slots=True)
class _Histogram:
    """Observations per bucket (not cumulative), their sum, and when the first was made (None: none yet)."""

    bounds: Sequence[float]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    created: float | None = None

    def observe(self, value: float, now: float) -> None:
        if self.created is None:
            self.created, self.counts = now, [0] * len(self.bounds)
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value


class EngineFigures(Collector):
    """The ``stepforge_engine_*`` figures of ``node``: :meth:`batch` for the engine's thread,
    :meth:`collect` for any thread."""

    def __init__(self, namespace: str, node: str) -> None:
        self.namespace, self.node = namespace, node
        self._lock = threading.Lock()
        self._batches = 0
        self._first: float | None = None  # when the first batch was counted
        self._ready = 0
        self._size = _Histogram(SIZE_BUCKETS)
        self._lag = _Histogram(SECOND_BUCKETS)
        self._seconds = _Histogram(SECOND_BUCKETS)
        self._commit = _Histogram(SECOND_BUCKETS)

    def batch(self, done: BatchDone) -> None:
        """Count one committed batch."""
        now = time.time()
        size = done.size
        with self._lock:
            if self._first is None:
                self._first = now
            self._batches += 1
            self._size.observe(size, now)
            self._ready = size
            self._seconds.observe(done.seconds, now)
            self._commit.observe(done.commit_seconds, now)
            if done.timers:
                self._lag.observe(max(0.0, done.timer_lag), now)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            batches, first, ready = self._batches, self._first, self._ready
            histograms = [(h.bounds, list(h.counts), h.total, h.created)
                          for h in (self._size, self._lag, self._seconds, self._commit)]
        size, lag, seconds, commit = histograms
        name = f"{self.namespace}_engine_"
        counter = CounterMetricFamily(f"{name}batches", "Batches committed", labels=["node"])
        if first is not None:
            counter.add_metric([self.node], batches, created=first)
        yield counter
        yield self._histogram(f"{name}batch_size", "Work items (writes, signals, timers) per committed batch", size)
        gauge = GaugeMetricFamily(f"{name}ready_work", "Work items the last batch found ready (256 is a full batch: "
                                  "more is waiting)", labels=["node"])
        if first is not None:
            gauge.add_metric([self.node], ready)
        yield gauge
        yield self._histogram(f"{name}timer_lag_seconds", "How late the most overdue timer of a batch fired", lag)
        yield self._histogram(f"{name}batch_seconds", "Seconds per batch, commit included", seconds)
        yield self._histogram(f"{name}commit_seconds", "Seconds per batch commit", commit)

    def _histogram(self, name: str, documentation: str,
                   figures: tuple[Sequence[float], list[int], float, float | None]) -> HistogramMetricFamily:
        bounds, counts, total, created = figures
        family = HistogramMetricFamily(name, documentation, labels=["node"])
        if created is None:
            return family
        running, buckets = 0, []
        for bound, count in zip(bounds, counts, strict=True):
            running += count
            buckets.append((floatToGoString(float(bound)), float(running)))  # type: ignore[no-untyped-call]
        family.add_metric([self.node], buckets, total)
        family.samples.append(Sample(f"{name}_created", {"node": self.node}, created))
        return family
