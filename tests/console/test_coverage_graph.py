"""The pytest plugin's HTML coverage report: the console's graph, drawn offline and coloured by coverage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stepforge.pytest_plugin import StepForge
from stepforge.pytest_plugin.coverage import Coverage
from stepforge.pytest_plugin.report import write_html

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
MACHINE = {"StartAt": "Check", "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Work"}],
              "Default": "Give up"},
    "Work": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
        {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Give up"}]},
    "Give up": {"Type": "Fail", "Error": "GaveUp"}}}


def test_the_report_colours_states_and_edges_by_what_ran(page: Any, tmp_path: Path) -> None:
    bench, coverage = StepForge(), Coverage()
    coverage.record("checker", MACHINE, bench.load(MACHINE, name="checker").run({"ok": True}).events)
    report = write_html(coverage, tmp_path)
    page.goto(report.as_uri())
    page.wait_for_selector("body[data-ready=true]")
    statuses = page.eval_on_selector_all(
        "g.node-state", "nodes => Object.fromEntries(nodes.map(n => [n.dataset.state, n.dataset.status]))")
    assert statuses == {"Check": "partial", "Work": "partial", "Left": "covered", "Right": "covered",
                        "Give up": "uncovered"}
    edges = page.eval_on_selector_all("g.edge[data-item]", "edges => edges.map(e => [e.dataset.item, e.classList.contains('hit')])")
    assert dict(edges) == {"state:Check": True, "choice:Check:0": True, "default:Check": False, "state:Left": True,
                           "end:Left": True, "state:Right": True, "end:Right": True, "end:Work": True,
                           "catch:Work:0": False}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "coverage-report.png"), full_page=True)
