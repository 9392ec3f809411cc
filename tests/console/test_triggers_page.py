"""The console's "Schedules & rules" page in headless Chromium: schedules with their next firings,
rules, webhooks, and the executions each started."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

ROLE = "arn:aws:iam::000000000000:role/stepforge-console-test"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


def call(server: str, path: str, body: dict[str, Any], method: str = "POST", target: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if target:
        headers["X-Amz-Target"] = target
    request = urllib.request.Request(server + path, data=json.dumps(body).encode(), headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_schedules_and_rules_show_next_firings_and_the_executions_they_started(
        page: Any, server: str, machine: Callable[[dict[str, Any]], str], screenshot: Callable[[str], Path]) -> None:
    arn = machine(PASS)
    schedule, rule = f"nightly-{uuid.uuid4().hex[:8]}", f"orders-{uuid.uuid4().hex[:8]}"
    call(server, f"/schedules/{schedule}", {"ScheduleExpression": "cron(0 2 * * ? *)",
                                            "ScheduleExpressionTimezone": "Europe/Paris",
                                            "FlexibleTimeWindow": {"Mode": "OFF"},
                                            "Target": {"Arn": arn, "RoleArn": ROLE}})
    call(server, "/", {"Name": rule, "EventPattern": json.dumps({"source": ["console.test"]})},
         target="AWSEvents.PutRule")
    call(server, "/", {"Rule": rule, "Targets": [{"Id": "m", "Arn": arn}]}, target="AWSEvents.PutTargets")
    call(server, "/", {"Entries": [{"Source": "console.test", "DetailType": "t", "Detail": "{}"}]},
         target="AWSEvents.PutEvents")

    page.goto(f"{server}/console/triggers")
    schedule_row = page.locator("tr.schedule-row", has_text=schedule)
    expect(schedule_row).to_contain_text("cron(0 2 * * ? *)")
    expect(schedule_row.locator("li.next-firing")).to_have_count(3)
    expect(schedule_row).to_contain_text("none yet")
    rule_row = page.locator("tr.rule-row", has_text=rule)
    expect(rule_row.locator("li.started-execution")).to_have_count(1)
    screenshot("triggers")
    rule_row.locator("li.started-execution a").click()
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
