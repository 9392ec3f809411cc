"""The engine's figures, kept in plain numbers, scrape exactly as prometheus-client's own metrics would."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from stepforge.engine.observer import BatchDone
from stepforge.observe.engine_figures import SECOND_BUCKETS, SIZE_BUCKETS, EngineFigures

BATCHES = [BatchDone(1.0, writes=1, seconds=0.001, commit_seconds=0.0004),
           BatchDone(2.0, writes=3, timers=2, timer_lag=0.2, seconds=0.02, commit_seconds=0.01),
           BatchDone(3.0, writes=300, seconds=1.5, commit_seconds=0.7),
           BatchDone(4.0, signals=2, timers=1, timer_lag=-1.0, seconds=0.0005, commit_seconds=0.0005)]


def as_prometheus_client_counts(batches: list[BatchDone]) -> str:
    """What the same batches give counted with prometheus-client's Counter, Histograms and Gauge."""
    r, node = CollectorRegistry(), ("node",)
    count = Counter("engine_batches", "Batches committed", node, namespace="stepforge", registry=r)
    size = Histogram("engine_batch_size", "Work items (writes, signals, timers) per committed batch", node,
                     namespace="stepforge", registry=r, buckets=SIZE_BUCKETS)
    ready = Gauge("engine_ready_work", "Work items the last batch found ready (256 is a full batch: more is waiting)",
                  node, namespace="stepforge", registry=r)
    lag = Histogram("engine_timer_lag_seconds", "How late the most overdue timer of a batch fired", node,
                    namespace="stepforge", registry=r, buckets=SECOND_BUCKETS)
    seconds = Histogram("engine_batch_seconds", "Seconds per batch, commit included", node, namespace="stepforge",
                        registry=r, buckets=SECOND_BUCKETS)
    commit = Histogram("engine_commit_seconds", "Seconds per batch commit", node, namespace="stepforge", registry=r,
                       buckets=SECOND_BUCKETS)
    for done in batches:
        count.labels("n1").inc()
        size.labels("n1").observe(done.size)
        ready.labels("n1").set(done.size)
        seconds.labels("n1").observe(done.seconds)
        commit.labels("n1").observe(done.commit_seconds)
        if done.timers:
            lag.labels("n1").observe(max(0.0, done.timer_lag))
    return generate_latest(r).decode()


def scraped(batches: list[BatchDone]) -> str:
    figures = EngineFigures("stepforge", "n1")
    for done in batches:
        figures.batch(done)
    registry = CollectorRegistry()
    registry.register(figures)
    return generate_latest(registry).decode()


def without_creation_times(text: str) -> str:
    return re.sub(r"(_created\{[^}]*\}) \S+", r"\1 X", text)


def test_the_same_exposition_as_prometheus_clients_metrics() -> None:
    for count in (0, 1, len(BATCHES)):  # nothing yet, no timer yet, everything
        expected = without_creation_times(as_prometheus_client_counts(BATCHES[:count]))
        assert without_creation_times(scraped(BATCHES[:count])) == expected

