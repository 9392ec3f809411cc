"""An in-memory deployment on a manual clock with its observers attached, and /metrics read back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from stepforge.observe.config import ObserveConfig
from stepforge.observe.observatory import Observatory
from stepforge.testing import Harness

NODE = "node-a"


def double(event: Any, context: Any) -> Any:
    return {"n": event["n"] * 2, "trace": context.trace_context}


def boom(event: Any, context: Any) -> Any:
    raise ValueError("bad n")


@pytest.fixture
def harness() -> Harness:
    return Harness(functions={"double": double, "boom": boom})


@pytest.fixture
def observed(harness: Harness) -> Iterator[Observatory]:
    """The harness's engine watched by metrics and the dashboard (no audit trail, no tracing)."""
    observatory = Observatory(ObserveConfig(node=NODE, audit=False),
                              open_executions=harness.store.count_open_executions)
    observatory.attach(harness.engine)
    yield observatory
    observatory.close()


def samples(observatory: Observatory) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition, parsed by prometheus-client's own parser: (name, labels) -> value."""
    assert observatory.metrics is not None
    text = observatory.metrics.exposition().decode()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    """One sample's value (0 when absent: a counter never incremented has no sample)."""
    return found.get((name, frozenset({**labels, "node": NODE}.items())), 0.0)
