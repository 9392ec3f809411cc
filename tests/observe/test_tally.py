"""Executions tallied per batch: nothing shows until the batch is committed, then counts and times add up."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stepforge.observe.tally import Tally

MACHINE = "arn:aws:states:us-east-1:000000000000:stateMachine:orders"


def scraped(tally: Tally) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    registry = CollectorRegistry()
    registry.register(tally)
    text = generate_latest(registry).decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def labels(**more: str) -> frozenset[tuple[str, str]]:
    return frozenset({"StateMachineArn": MACHINE, "node": "n1", **more}.items())


def test_a_batch_shows_only_once_committed() -> None:
    tally = Tally("stepforge", "n1", (10, 100, float("inf")))
    tally.add(MACHINE, "ExecutionsStarted")
    assert ("stepforge_ExecutionsStarted_total", labels()) not in scraped(tally)
    tally.commit()
    assert scraped(tally)[("stepforge_ExecutionsStarted_total", labels())] == 1


def test_batches_add_up_and_times_fall_in_cumulative_buckets() -> None:
    tally = Tally("stepforge", "n1", (10, 100, float("inf")))
    for milliseconds in (5, 10, 50):
        tally.add(MACHINE, "ExecutionsSucceeded")
        tally.observe(MACHINE, milliseconds)
        tally.commit()
    tally.observe(MACHINE, 500)
    tally.commit()
    found = scraped(tally)
    assert found[("stepforge_ExecutionsSucceeded_total", labels())] == 3
    assert [found[("stepforge_ExecutionTime_bucket", labels(le=le))] for le in ("10.0", "100.0", "+Inf")] == [2, 3, 4]
    assert found[("stepforge_ExecutionTime_count", labels())] == 4
    assert found[("stepforge_ExecutionTime_sum", labels())] == 565
