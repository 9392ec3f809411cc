"""The console's Map Run page in headless Chromium: live counts, progress bar, failed items."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

PROCESSOR = {"StartAt": "Odd?", "States": {
    "Odd?": {"Type": "Choice", "Choices": [{"Variable": "$.odd", "BooleanEquals": True, "Next": "Refuse"}],
             "Default": "Nap"},
    "Refuse": {"Type": "Fail", "Error": "Odd.Item", "Cause": "odd items are refused"},
    "Nap": {"Type": "Wait", "Seconds": 2, "End": True}}}
MAP = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "End": True, "MaxConcurrency": 1, "ToleratedFailurePercentage": 100,
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **PROCESSOR}}}}


def test_the_map_run_page_follows_a_run_to_its_end_and_lists_failed_items(
        page: Any, server: str, machine: Callable[[dict[str, Any]], str], aws: Callable[..., dict[str, Any]],
        screenshot: Callable[[str], Path]) -> None:
    items = [{"n": n, "odd": n % 2 == 1} for n in range(6)]
    arn = aws("StartExecution", stateMachineArn=machine(MAP), input=json.dumps(items))["executionArn"]
    page.goto(f"{server}/console/execution?arn={urllib.parse.quote(arn)}")
    page.locator(".map-run-link").click()
    expect(page.locator("#map-run-status")).to_have_text("RUNNING")
    screenshot("map-run-running")
    expect(page.locator("#map-run-status")).to_have_text("SUCCEEDED", timeout=30_000)
    expect(page.locator("#map-run-percent")).to_contain_text("6 of 6 items (100 %)")
    expect(page.locator("#map-run-bar")).to_have_attribute("value", "6")
    expect(page.locator(".map-run-counts td[data-count='failed']").first).to_have_text("3")
    failed = page.locator(".failed-item")
    expect(failed).to_have_count(3)
    expect(failed.first).to_contain_text("Odd.Item")
    expect(failed.first).to_contain_text("odd items are refused")
    screenshot("map-run-succeeded")
    failed.first.locator("a").click()
    expect(page.locator("#execution-status")).to_have_text("FAILED")
