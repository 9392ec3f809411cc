"""docs/grafana/stepforge.json: valid, and every metric it queries is one /metrics serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from stepforge.observe.metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "stepforge.json"
_METRIC = re.compile(r"\bstepforge_[A-Za-z_]+")
_SUFFIX = re.compile(r"_(total|bucket|sum|count)$")


def test_every_queried_metric_is_served() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queried = {_SUFFIX.sub("", name) for panel in dashboard["panels"] for target in panel.get("targets", [])
               for name in _METRIC.findall(target["expr"])}
    served = {family.name for family in text_string_to_metric_families(Metrics("n", lambda: 0).exposition().decode())}
    assert queried and queried <= served, queried - served


def test_panels_do_not_overlap() -> None:
    taken: set[tuple[int, int]] = set()
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        box = panel["gridPos"]
        cells = {(x, y) for x in range(box["x"], box["x"] + box["w"]) for y in range(box["y"], box["y"] + box["h"])}
        assert not cells & taken, panel["title"]
        taken |= cells
