"""The dashboard and audit pages in real headless Chromium: charts per state machine, slowest states,
the load, and the audit trail's calls."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

PASS = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "Oops", "States": {"Oops": {"Type": "Fail", "Error": "Oops"}}}


def run_all(aws: Callable[..., dict[str, Any]], machine: str, times: int) -> None:
    arns = [aws("StartExecution", stateMachineArn=machine)["executionArn"] for _ in range(times)]
    deadline = time.monotonic() + 30
    while any(aws("DescribeExecution", executionArn=arn)["status"] == "RUNNING" for arn in arns):
        assert time.monotonic() < deadline, "the executions did not end"
        time.sleep(0.05)


def series(page: Any, machine: str, name: str) -> Any:
    return page.locator(f"section.machine-chart[data-machine='{machine}'] polyline.series[data-series='{name}']")


def test_the_dashboard_charts_executions_per_machine_and_shows_slow_states_and_load(
        page: Any, server: str, aws: Callable[..., dict[str, Any]], machine: Callable[[dict[str, Any]], str],
        screenshot: Callable[[str], Path]) -> None:
    passing, failing = machine(PASS), machine(FAIL)
    run_all(aws, passing, 3)
    run_all(aws, failing, 1)
    page.goto(f"{server}/console/dashboard")
    expect(series(page, passing, "started")).to_have_attribute("data-total", "3")
    expect(series(page, passing, "succeeded")).to_have_attribute("data-total", "3")
    expect(series(page, passing, "failed")).to_have_attribute("data-total", "0")
    expect(series(page, failing, "failed")).to_have_attribute("data-total", "1")
    points = series(page, passing, "started").get_attribute("points")
    assert len(points.split()) == 60  # one point a minute for the last hour
    expect(page.locator("table.slowest tbody tr").first).to_be_visible()  # states are timed in a sample
    expect(page.locator("dl.load")).to_contain_text("Running executions")
    expect(page.locator("nav a[aria-current='page']")).to_have_text("Dashboard")
    screenshot("dashboard")


def test_the_audit_page_lists_writes_and_refusals_newest_first(
        page: Any, server: str, aws: Callable[..., dict[str, Any]], machine: Callable[[dict[str, Any]], str],
        screenshot: Callable[[str], Path]) -> None:
    created = machine(PASS)
    with pytest.raises(AssertionError, match="StateMachineDoesNotExist"):
        aws("StartExecution", stateMachineArn=created + "-gone")
    page.goto(f"{server}/console/audit?resource={created}")
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("StartExecution")
    expect(rows.nth(0)).to_have_class("audit-row refused")
    expect(rows.nth(0)).to_contain_text("StateMachineDoesNotExist")
    expect(rows.nth(1)).to_contain_text("CreateStateMachine")
    expect(rows.nth(1)).to_contain_text("ok")
    screenshot("audit")
